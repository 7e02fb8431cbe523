/**
 * `npm run bench -- [--rate 100] [--seconds 30] [--warmup 5] [--concurrency 64] [--json FILE]`:
 * the settings, each checked, with what is accepted when one is not.
 */
import { WorkbookError } from '../../lib/errors.ts';

export interface BenchOptions {
  /** Orders a second the load generator aims at. */
  rate: number;
  /** How long the measured run sends orders. */
  seconds: number;
  /** Unmeasured seconds at the same rate first (0: the measured run includes the cold starts). */
  warmupSeconds: number;
  /** Requests the load generator keeps open at once, at most. */
  concurrency: number;
  /** Where the results go as JSON. */
  jsonFile: string;
}

const USAGE = 'npm run bench -- [--rate 100] [--seconds 30] [--warmup 5] [--concurrency 64] [--json .workbook/bench.json]';

interface NumberSetting {
  key: 'rate' | 'seconds' | 'warmupSeconds' | 'concurrency';
  min: number;
  /** Whether `min` itself is allowed. */
  minIncluded: boolean;
  max: number;
  integer: boolean;
  what: string;
}

const NUMBERS: Record<string, NumberSetting> = {
  rate: { key: 'rate', min: 0, minIncluded: false, max: 10_000, integer: false, what: 'orders per second' },
  seconds: { key: 'seconds', min: 0, minIncluded: false, max: 3_600, integer: false, what: 'seconds of measured run' },
  warmup: { key: 'warmupSeconds', min: 0, minIncluded: true, max: 600, integer: false, what: 'seconds of warm-up' },
  concurrency: { key: 'concurrency', min: 1, minIncluded: true, max: 1_024, integer: true, what: 'open requests at most' },
};

export const DEFAULT_OPTIONS: Readonly<BenchOptions> = {
  rate: 100,
  seconds: 30,
  warmupSeconds: 5,
  concurrency: 64,
  jsonFile: '.workbook/bench.json',
};

/** The options in `args` (what follows `npm run bench --`); a WorkbookError naming the bad one. */
export function parseBenchOptions(args: readonly string[]): BenchOptions {
  const options: BenchOptions = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i];
    const name = flag.startsWith('--') ? flag.slice(2) : undefined;
    const value = args[i + 1];
    const known = name === 'json' || (name !== undefined && Object.hasOwn(NUMBERS, name));
    if (!known) throw new WorkbookError(`Unknown option ${JSON.stringify(flag.slice(0, 60))}.`, USAGE);
    if (value === undefined || value.startsWith('--')) throw new WorkbookError(`${flag} needs a value.`, USAGE);
    if (name === 'json') {
      if (value.trim() === '' || value.length > 4_096 || value.includes('\0')) {
        throw new WorkbookError(`--json needs a file path, not ${JSON.stringify(value.slice(0, 60))}.`, USAGE);
      }
      options.jsonFile = value;
      continue;
    }
    const setting = NUMBERS[name!];
    options[setting.key] = numberOf(flag, value, setting);
  }
  return options;
}

function numberOf(flag: string, text: string, s: NumberSetting): number {
  // Number('') is 0 and Number('0x10') is 16: only plain decimals are taken.
  const value = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : Number.NaN;
  const low = s.minIncluded ? value >= s.min : value > s.min;
  if (!Number.isFinite(value) || !low || value > s.max || (s.integer && !Number.isInteger(value))) {
    const range = `${s.minIncluded ? 'from' : 'more than'} ${s.min} to ${s.max}`;
    throw new WorkbookError(
      `${flag} takes ${s.integer ? 'a whole number' : 'a number'} of ${s.what}, ${range}; got ${JSON.stringify(text.slice(0, 60))}.`,
      USAGE,
    );
  }
  return value;
}
