import { execFile } from 'node:child_process';
import { constants, accessSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * Which Node runs the workers of a `nodejsN.x` function. On AWS nodejs24.x runs on Node 24; here
 * the same when such a Node can be found, in this order:
 *  1. the Node running the local cloud, when its major is N;
 *  2. `LOCAL_CLOUD_NODE_N` (e.g. LOCAL_CLOUD_NODE_24=/opt/node24/bin/node), an absolute path;
 *  3. `nodeN` on PATH (e.g. node24).
 * A candidate counts only when it runs, reports major N and has Node's permission model (workers
 * never run unfenced). Otherwise the local cloud's own Node runs them, and `fallback` says why.
 */
export interface NodeBinary {
  path: string;
  /** e.g. "24.21.0" */
  version: string;
  major: number;
  /** Where it came from, for the live log: "the local cloud's own Node", "LOCAL_CLOUD_NODE_24=…", "node24 on PATH". */
  source: string;
  /** The permission-model flags this very binary knows (they differ between Node versions). */
  features: NodeFeatures;
  /** Set when it is not the runtime's major: why no such Node was used, and how to provide one. */
  fallback?: string;
}

export interface NodeFeatures {
  /** `--permission` (Node 22.13+, 23.5+) or `--experimental-permission` (Node 20, early 22). */
  permissionFlag: '--permission' | '--experimental-permission';
  /** Node 25+ fences the network too, unless `--allow-net`. */
  allowNet: boolean;
  disableWarning: boolean;
}

const FLAGS = ['--permission', '--experimental-permission', '--allow-net', '--disable-warning'];

/** What a candidate prints about itself: its version and which of FLAGS it knows. */
const PROBE = `process.stdout.write(JSON.stringify({version:process.versions.node,flags:${JSON.stringify(FLAGS)}.filter(f=>process.allowedNodeEnvironmentFlags.has(f))}))`;
const PROBE_TIMEOUT_MS = 15_000;
/** A setting is quoted back at most this long (it could be anything). */
const QUOTE_LIMIT = 200;

export const nodeSetting = (major: number): string => `LOCAL_CLOUD_NODE_${major}`;

export function featuresOf(flags: Iterable<string>): NodeFeatures | undefined {
  const known = new Set(flags);
  const permissionFlag = known.has('--permission') ? '--permission' : known.has('--experimental-permission') ? '--experimental-permission' : undefined;
  if (!permissionFlag) return undefined;
  return { permissionFlag, allowNet: known.has('--allow-net'), disableWarning: known.has('--disable-warning') };
}

/** The Node running the local cloud, as a candidate like any other. */
export function runningNode(): NodeBinary {
  const version = process.versions.node;
  return {
    path: process.execPath,
    version,
    major: Number(version.split('.')[0]),
    source: "the local cloud's own Node",
    features: featuresOf(process.allowedNodeEnvironmentFlags)!,
  };
}

/** Picks (once per major) the Node for each runtime; `env` is read when a major is first asked for. */
export class NodeBinaries {
  private readonly chosen = new Map<number, Promise<NodeBinary>>();

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly running: NodeBinary = runningNode(),
  ) {}

  /** The Node for `runtime` ("nodejs24.x"); anything else gets the running Node. */
  forRuntime(runtime: string): Promise<NodeBinary> {
    const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
    if (!Number.isInteger(major)) return Promise.resolve(this.running);
    let choice = this.chosen.get(major);
    if (!choice) this.chosen.set(major, (choice = this.choose(major)));
    return choice;
  }

  private async choose(major: number): Promise<NodeBinary> {
    if (this.running.major === major) return this.running;
    const setting = nodeSetting(major);
    const configured = this.env[setting];
    if (configured) {
      const found = await candidate(configured, major, `${setting}=${quote(configured)}`);
      if ('binary' in found) return found.binary;
      return this.fallBack(major, `${setting}=${quote(configured)} ${found.why}`);
    }
    const onPath = findOnPath(`node${major}`, this.env.PATH);
    if (onPath) {
      const found = await candidate(onPath, major, `node${major} on PATH (${onPath})`);
      if ('binary' in found) return found.binary;
      return this.fallBack(major, `node${major} on PATH (${onPath}) ${found.why}`);
    }
    return this.fallBack(major, `no Node ${major} was found (neither ${setting} nor node${major} on PATH)`);
  }

  private fallBack(major: number, why: string): NodeBinary {
    return {
      ...this.running,
      fallback:
        `${why}. Code that needs Node ${major} may behave differently here than on AWS. To match it, install Node ${major} ` +
        `(e.g. \`npm install --prefix ~/.node${major} node@${major}\`) and set ${nodeSetting(major)}=$HOME/.node${major}/node_modules/.bin/node ` +
        `(an absolute path), or put a node${major} on PATH; then restart the local cloud.`,
    };
  }
}

type Candidate = { binary: NodeBinary } | { why: string };

/** Runs `path` once to learn its version and permission flags. */
async function candidate(path: string, major: number, source: string): Promise<Candidate> {
  if (!isAbsolute(path)) return { why: 'is not an absolute path' };
  try {
    if (!statSync(path).isFile()) return { why: 'is not a file' };
    accessSync(path, constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { why: code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not executable' : `cannot be used (${code ?? String(err)})` };
  }
  const output = await new Promise<string | undefined>((resolve) => {
    // A bare environment: nothing of the cloud's (NODE_OPTIONS included) changes what it reports.
    execFile(path, ['-e', PROBE], { env: {}, timeout: PROBE_TIMEOUT_MS, maxBuffer: 64 * 1024 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
  const report = parseProbe(output);
  if (!report) return { why: 'did not run as Node.js' };
  const found = Number(report.version.split('.')[0]);
  if (found !== major) return { why: `is Node ${report.version}, not Node ${major}` };
  const features = featuresOf(report.flags);
  if (!features) return { why: `is Node ${report.version}, which has no permission model to fence functions in` };
  return { binary: { path, version: report.version, major, source, features } };
}

function parseProbe(output: string | undefined): { version: string; flags: string[] } | undefined {
  if (!output) return undefined;
  try {
    const value = JSON.parse(output) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const { version, flags } = value as { version?: unknown; flags?: unknown };
    if (typeof version !== 'string' || !/^\d+\.\d+\.\d+/.test(version)) return undefined;
    if (!Array.isArray(flags) || !flags.every((f): f is string => typeof f === 'string')) return undefined;
    return { version, flags };
  } catch {
    return undefined;
  }
}

/** The first executable `name` in PATH's folders. */
function findOnPath(name: string, path: string | undefined): string | undefined {
  for (const folder of (path ?? '').split(delimiter)) {
    if (!folder || !isAbsolute(folder)) continue;
    const file = join(folder, name);
    try {
      if (statSync(file).isFile()) {
        accessSync(file, constants.X_OK);
        return file;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

function quote(value: string): string {
  const shown = value.length > QUOTE_LIMIT ? `${value.slice(0, QUOTE_LIMIT)}…` : value;
  return JSON.stringify(shown);
}
