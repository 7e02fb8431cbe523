import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from '../workbook/support.ts';

// Code passed to page.evaluate() and waitForFunction() runs in the page, where these exist.
declare const document: any, window: any;

/**
 * Pages are tested in a real browser: Debian's chromium (.ci/run installs it), driven by
 * playwright-core with that executable; playwright never downloads a browser of its own.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(repoRoot, 'test-artifacts');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium), as .ci/run does.`);
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

/** Console errors and uncaught exceptions of a page, as they happen. */
export function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`exception: ${err.message}`));
  return problems;
}

/**
 * Saves a screenshot under test-artifacts/; with UPDATE_SCREENSHOTS=1 also as docs/NAME, the
 * copy the README shows (so a test run does not rewrite committed images).
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(file, join(repoRoot, 'docs', name));
  return file;
}

/** How many pixels of a canvas are not transparent (a chart drew something). */
export function inkedPixels(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (canvas) => {
    const c = canvas as any;
    const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    let inked = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) inked++;
    return inked;
  });
}
