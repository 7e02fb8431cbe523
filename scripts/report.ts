/**
 * `npm run report`: the per-stage latency report, from the order-events table, for a time window.
 *
 *   npm run report                                   the last 24 hours
 *   npm run report -- --since 1h                     the last hour (s, m, h or d)
 *   npm run report -- --from 2025-06-01T14:00Z --to 2025-06-01T15:00Z
 *   npm run report -- --since 1h --html report.html   also a page with the charts (self-contained)
 *
 * It reads the window through the table's time-window index (step 6): one Query per hour and
 * shard, never a Scan, so a report costs the same however many years of history the table holds.
 * A window is about the events' times (when the monitor published each update).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DescribeTableCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { documentClient, dynamoDbClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { WorkbookError } from '../lib/errors.ts';
import { latencyReport, printLatencyReport, type LatencyReport } from '../lib/latency-report.ts';
import { reportHtml } from '../lib/report-html.ts';
import { ensureTargetAnswers } from '../lib/localCloud.ts';
import { isMainModule, runMain } from '../lib/main.ts';
import { names } from '../lib/names.ts';
import { TIME_INDEX, readTimeWindow, timeBucketsBetween, type OrderEvent } from '../lib/order-events.ts';
import { cmd, heading, ok, say } from '../lib/output.ts';

export interface ReportWindow {
  from: Date;
  to: Date;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** The longest window: a month is 744 hours × 4 shards of Queries, read a day at a time. */
const MAX_WINDOW_MS = 31 * UNITS.d;
const DEFAULT_SINCE = '24h';
const USAGE = `${cmd('npm run report -- --since 1h')} or ${cmd('npm run report -- --from 2025-06-01T14:00Z --to 2025-06-01T15:00Z')}`;

/** The window the command line asks for: --since DURATION, or --from ISO [--to ISO]. */
export function parseWindow(argv: string[], now = new Date()): ReportWindow {
  const value = (flag: string): string | undefined => {
    const inline = argv.find((a) => a.startsWith(`${flag}=`));
    if (inline) return inline.slice(flag.length + 1);
    const at = argv.indexOf(flag);
    if (at < 0) return undefined;
    const next = argv[at + 1];
    if (next === undefined || next.startsWith('--')) throw new WorkbookError(`${flag} needs a value.`, `e.g. ${USAGE}.`);
    return next;
  };
  const known = ['--since', '--from', '--to', '--html'];
  const unknown = argv.filter((a, i) => a.startsWith('--') && !known.includes(a.split('=')[0]) && !known.includes(argv[i - 1] ?? ''));
  if (unknown.length > 0) throw new WorkbookError(`Unknown option ${unknown.join(' ')}.`, `Use ${USAGE}.`);

  const since = value('--since');
  const fromText = value('--from');
  const toText = value('--to');
  if (since !== undefined && (fromText !== undefined || toText !== undefined)) {
    throw new WorkbookError('Give either --since or --from/--to, not both.', `e.g. ${USAGE}.`);
  }
  let window: ReportWindow;
  if (fromText !== undefined || toText !== undefined) {
    if (fromText === undefined) throw new WorkbookError('--to needs a --from.', `e.g. ${USAGE}.`);
    window = { from: parseTime('--from', fromText), to: toText === undefined ? now : parseTime('--to', toText) };
    if (window.from >= window.to) throw new WorkbookError(`--from (${window.from.toISOString()}) must come before --to (${window.to.toISOString()}).`);
  } else {
    const text = since ?? DEFAULT_SINCE;
    const match = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim());
    if (!match || Number(match[1]) <= 0) {
      throw new WorkbookError(`--since ${text} is not a duration.`, 'Give a number and a unit: 90s, 30m, 1h, 7d.');
    }
    window = { from: new Date(now.getTime() - Number(match[1]) * UNITS[match[2]]), to: now };
  }
  if (window.to.getTime() - window.from.getTime() > MAX_WINDOW_MS) {
    throw new WorkbookError('A report covers at most 31 days.', 'Narrow the window (e.g. --since 7d), or make several reports.');
  }
  return window;
}

function parseTime(flag: string, text: string): Date {
  // A time without a zone would be read as this machine's local time: the table's times are UTC.
  const withZone = /(Z|[+-]\d\d:?\d\d)$/i.test(text) || /^\d{4}-\d\d-\d\d$/.test(text) ? text : `${text}Z`;
  const time = new Date(withZone);
  if (Number.isNaN(time.getTime())) {
    throw new WorkbookError(`${flag} ${text} is not a time.`, 'Give an ISO-8601 time, e.g. 2025-06-01T14:00Z (UTC) or 2025-06-01T16:00+02:00.');
  }
  return time;
}

/**
 * The events of the window, oldest first, and how many Queries it took (one per hour and shard):
 * readTimeWindow a day at a time, so a long window never fans out too far at once.
 */
export async function eventsBetween(tableName: string, window: ReportWindow): Promise<{ events: OrderEvent[]; queries: number }> {
  const db = documentClient();
  const events: OrderEvent[] = [];
  let queries = 0;
  for (let from = window.from; from < window.to; ) {
    const to = new Date(Math.min(from.getTime() + UNITS.d, window.to.getTime()));
    events.push(...(await readTimeWindow(db, tableName, from, to)));
    queries += timeBucketsBetween(from, to).length;
    from = to;
  }
  return { events, queries };
}

/** `--html FILE`: where to write the report's page, if anywhere. */
export function parseHtmlOption(argv: string[]): string | undefined {
  const inline = argv.find((a) => a.startsWith('--html='));
  const at = argv.indexOf('--html');
  const file = inline ? inline.slice('--html='.length) : at >= 0 ? argv[at + 1] : undefined;
  if ((inline || at >= 0) && (file === undefined || file === '' || file.startsWith('--'))) {
    throw new WorkbookError('--html needs a file name.', `e.g. ${cmd('npm run report -- --since 1h --html report.html')}.`);
  }
  return file;
}

/**
 * Prints the report for the window; returns it (undefined when the window holds no complete event).
 * With `html`, also writes the page with its charts there (lib/report-html.ts).
 */
export async function report(window: ReportWindow, html?: string): Promise<LatencyReport | undefined> {
  const tableName = names().orderEventsTable;
  const target = resolveTarget();
  await assertTableReady(tableName, target.label);
  heading(`Latency report: ${tableName}, ${window.from.toISOString()} → ${window.to.toISOString()} (${target.label})`);

  const { events, queries } = await eventsBetween(tableName, window);
  const result = latencyReport(events);
  if (!result) {
    say(
      events.length === 0
        ? '  No order events in this window.'
        : `  ${events.length} event(s) in this window, but none with every stage time (acceptedAt … recordedAt).`,
    );
    say(`  Orders reach the table through steps 1–7: ${cmd('npm run step:8')} sends some. Or widen the window: ${cmd('npm run report -- --since 7d')}.`);
    return undefined;
  }
  printLatencyReport(result);
  ok(`read from the index ${TIME_INDEX} with one Query per hour and shard (${queries}), no Scan`);
  if (html) {
    const file = resolve(html);
    writeFileSync(file, reportHtml({ report: result, events, window, tableName, where: target.label }));
    ok(`the charts are in ${file} (one self-contained page: open it in a browser)`);
  }
  return result;
}

async function assertTableReady(tableName: string, where: string): Promise<void> {
  let indexes: string[];
  try {
    const { Table } = await dynamoDbClient().send(new DescribeTableCommand({ TableName: tableName }));
    indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName!);
  } catch (err) {
    if (err instanceof ResourceNotFoundException) {
      throw new WorkbookError(
        `There is no table ${tableName} on ${where}: nothing has been recorded here.`,
        `Step 6 makes it (${cmd('npm run step:6')}), step 7 records orders into it, and ${cmd('npm run step:8')} sends some.`,
      );
    }
    throw err;
  }
  if (!indexes.includes(TIME_INDEX)) {
    throw new WorkbookError(
      `The table ${tableName} has no index ${TIME_INDEX}: a time window could only be read by scanning the whole table.`,
      `Step 6 makes the index (steps/06-table/README.md explains it): ${cmd('npm run step:6')}.`,
    );
  }
}

if (isMainModule(import.meta.url)) {
  void runMain(async () => {
    const window = parseWindow(process.argv.slice(2));
    const html = parseHtmlOption(process.argv.slice(2));
    await ensureTargetAnswers();
    await report(window, html);
    return 0;
  });
}
