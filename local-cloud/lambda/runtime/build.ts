import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** The worker's files, bundled to plain JavaScript. */
export interface RuntimeFiles {
  /** Path of the worker entry (bootstrap.mjs). */
  bootstrap: string;
  /** file URL of the ESM resolve hooks module. */
  hooksUrl: string;
  /** file URL inside this install from which the runtime-provided AWS SDK resolves. */
  sdkBase: string;
  /** The folder they live in (Lambda's LAMBDA_RUNTIME_DIR). */
  dir: string;
}

const source = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/**
 * Bundles bootstrap.ts and resolve-hooks.ts into `dir` (once per call; the backend caches the
 * promise). Workers run these on a bare Node: no TypeScript loader touches the function's code.
 */
export async function buildRuntime(dir: string): Promise<RuntimeFiles> {
  await build({
    entryPoints: { bootstrap: source('./bootstrap.ts'), 'resolve-hooks': source('./resolve-hooks.ts') },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  });
  return {
    bootstrap: join(dir, 'bootstrap.mjs'),
    hooksUrl: pathToFileURL(join(dir, 'resolve-hooks.mjs')).href,
    sdkBase: new URL('../../../package.json', import.meta.url).href,
    dir,
  };
}
