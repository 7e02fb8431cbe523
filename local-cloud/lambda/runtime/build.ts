import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** The worker's files, bundled to plain JavaScript. */
export interface RuntimeFiles {
  /** Path of the worker entry (bootstrap.cjs). */
  bootstrap: string;
  /** file URL of the ESM resolve hooks module. */
  hooksUrl: string;
  /** file URL inside this install from which the runtime-provided AWS SDK resolves. */
  sdkBase: string;
  /** The node_modules folders of this install that hold the runtime-provided SDK (workers may read them). */
  sdkModules: string[];
  /** The folder they live in (Lambda's LAMBDA_RUNTIME_DIR). */
  dir: string;
}

const source = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/**
 * Bundles bootstrap.ts and resolve-hooks.ts into `dir` (once per call; the backend caches the
 * promise). Workers run these on a bare Node: no TypeScript loader touches the function's code.
 */
export async function buildRuntime(dir: string): Promise<RuntimeFiles> {
  const common = { outdir: dir, bundle: true, platform: 'node', target: 'node20', logLevel: 'silent' } as const;
  await Promise.all([
    // CommonJS: a worker reaches its first line ~40 ms sooner than from an ES module, whose loader
    // (and the namespaces of the built-ins it imports, node:http's above all) costs every cold start.
    build({ ...common, entryPoints: { bootstrap: source('./bootstrap.ts') }, outExtension: { '.js': '.cjs' }, format: 'cjs' }),
    // Node loads resolve hooks as an ES module.
    build({ ...common, entryPoints: { 'resolve-hooks': source('./resolve-hooks.ts') }, outExtension: { '.js': '.mjs' }, format: 'esm' }),
  ]);
  return {
    bootstrap: join(dir, 'bootstrap.cjs'),
    hooksUrl: pathToFileURL(join(dir, 'resolve-hooks.mjs')).href,
    sdkBase: new URL('../../../package.json', import.meta.url).href,
    sdkModules: sdkModuleFolders(),
    dir,
  };
}

/**
 * Where @aws-sdk and @smithy are installed: their node_modules folders, with their own dependencies.
 * The install's own node_modules is named as it is found from the install (a function's SDK imports
 * resolve from there, sdkBase) as well as where it really is: it may be a link to another folder.
 */
function sdkModuleFolders(): string[] {
  const require = createRequire(import.meta.url);
  const folders = new Set<string>([fileURLToPath(new URL('../../../node_modules', import.meta.url))]);
  for (const probe of ['@aws-sdk/client-sts', '@smithy/types']) {
    try {
      const entry = require.resolve(probe);
      folders.add(entry.slice(0, entry.lastIndexOf(`${sep}node_modules${sep}`) + `${sep}node_modules`.length));
    } catch {
      // Not installed: functions then find no SDK, as without one in their zip.
    }
  }
  return [...folders];
}
