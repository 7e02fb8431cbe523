import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The page's files, served as they are: no build step. The chart library is chart.js's own UMD
 * file from node_modules (MIT), never a CDN: the page works with no network at all.
 */
const pageDir = join(dirname(fileURLToPath(import.meta.url)), 'page');

export function chartLibraryFile(): string {
  // The package's entry is dist/chart.cjs; its UMD build sits beside it.
  return join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
}

const FILES: Record<string, { file: () => string; type: string }> = {
  '': { file: () => join(pageDir, 'index.html'), type: 'text/html; charset=utf-8' },
  'index.html': { file: () => join(pageDir, 'index.html'), type: 'text/html; charset=utf-8' },
  'dashboard.css': { file: () => join(pageDir, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  'dashboard.js': { file: () => join(pageDir, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'latency-chart.js': { file: () => join(pageDir, 'latency-chart.js'), type: 'text/javascript; charset=utf-8' },
  'chart.umd.min.js': { file: chartLibraryFile, type: 'text/javascript; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

/** A page file by its name under /_localcloud/dashboard/, or undefined. */
export function pageFile(name: string): { body: Buffer; type: string } | undefined {
  if (!Object.hasOwn(FILES, name)) return undefined;
  const entry = FILES[name];
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(entry.file());
    cache.set(name, body);
  }
  return { body, type: entry.type };
}

/** The page's own script that draws the latency charts; the HTML report inlines it too. */
export function latencyChartScript(): string {
  return readFileSync(join(pageDir, 'latency-chart.js'), 'utf8');
}
