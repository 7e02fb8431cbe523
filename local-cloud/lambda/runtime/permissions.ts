import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RuntimeFiles } from './build.ts';
import { runningNode, type NodeFeatures } from './node-binary.ts';

/** What one worker may touch on the file system. */
export interface SandboxGrants {
  /** Folders and files it may read: its runtime, its task root, the runtime-provided SDK, its /tmp. */
  read: string[];
  /** Folders it may write: its /tmp only (Lambda's /var/task is read-only). */
  write: string[];
  /** The module fence's resolve hooks run on a loader thread, which Node counts as a worker. */
  workers: boolean;
}

export interface SandboxLayout {
  files: RuntimeFiles;
  /** The function's unpacked code (Lambda's /var/task). */
  taskRoot: string;
  /** The code store's folder: tasks/, and node_modules/ with the links to the runtime-provided SDK. */
  codeRoot: string;
  /** This sandbox's /tmp (scratch.ts). */
  scratchDir: string;
  moduleFence: boolean;
}

/** A function reads its own code, the runtime and the SDK, and writes its /tmp; nothing else. */
export function sandboxGrants(layout: SandboxLayout): SandboxGrants {
  return {
    read: [
      layout.files.dir,
      layout.taskRoot,
      layout.scratchDir,
      join(layout.codeRoot, 'node_modules'),
      // The CommonJS marker (code.ts): Node reads it to tell what a .js file is.
      join(layout.codeRoot, 'tasks', 'package.json'),
      ...layout.files.sdkModules,
    ],
    write: [layout.scratchDir],
    workers: layout.moduleFence,
  };
}

/**
 * Node's permission model for a worker: outside the granted paths every fs call fails with
 * ERR_ACCESS_DENIED, child processes, addons, WASI and the inspector are refused, and worker
 * threads inherit all of it. This is what keeps a handler from other functions' task folders,
 * the data folder and /proc/PID/environ of the local cloud or of other workers (where their
 * credentials are). The flags are those of the Node that runs the worker (node-binary.ts), which
 * need not be the local cloud's: Node 20 and early 22 name the model --experimental-permission,
 * Node 22.13+ and 23.5+ --permission (24 knows no other), and Node 25 fences the network too.
 */
export function permissionFlags(grants: SandboxGrants, node: NodeFeatures = runningNode().features): string[] {
  const args: string[] = [node.permissionFlag];
  for (const path of unique(grants.read)) args.push(`--allow-fs-read=${path}`);
  for (const path of unique(grants.write)) args.push(`--allow-fs-write=${path}`);
  if (grants.workers) args.push('--allow-worker');
  // Functions must reach the local cloud (and anything else, as on AWS).
  if (node.allowNet) args.push('--allow-net');
  // Notices about these very flags ("Permission is an experimental feature", "--allow-worker must be
  // used with extreme caution") would land in every function's logs, where AWS has none.
  if (node.disableWarning) {
    if (node.permissionFlag === '--experimental-permission') args.push('--disable-warning=ExperimentalWarning');
    if (grants.workers) args.push('--disable-warning=SecurityWarning');
  }
  return args;
}

/**
 * Each path as given, every link it leads through, and its real path, once each: Node compares
 * the path a call names with the grants, and module resolution reads each link of a chain on its
 * way (a node_modules that links to another link). A link further up a path is not granted here,
 * as that would open everything below it: the cloud hands workers real paths instead.
 */
function unique(paths: string[]): string[] {
  return [...new Set(paths.flatMap(namesOf))];
}

/** A link to a link to a link… ends somewhere; a loop does not (Linux gives up after 40). */
const MAX_LINK_HOPS = 40;

function namesOf(path: string): string[] {
  const names = [path];
  let current = path;
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    try {
      if (!lstatSync(current).isSymbolicLink()) break;
      current = resolve(dirname(current), readlinkSync(current));
    } catch {
      break;
    }
    names.push(current);
  }
  try {
    names.push(realpathSync(path));
  } catch {
    // Not there (yet): the names so far are all there is to grant.
  }
  return names;
}
