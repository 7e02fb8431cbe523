import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_NODE_MAJOR, nodeTooOld } from '../../checks/step-0.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { repoRoot, run } from './support.ts';

/** Node 22 is the baseline: package.json, the README, step 0's check and lesson say the same, and the suite runs on it. */
const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string }; scripts: Record<string, string> };

describe('Node.js 22 is the baseline', () => {
  it('package.json engines, the check, the README and the lesson agree', () => {
    expect(packageJson.engines.node).toBe('>=22');
    expect(MIN_NODE_MAJOR).toBe(22);
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toContain('You need **Node.js 22 or newer**');
    for (const manager of ['nvm install 22', 'fnm install 22', 'volta install node@22', 'nodejs.org']) expect(readme).toContain(manager);
    const lesson = readFileSync(join(repoRoot, 'steps/00-setup/README.md'), 'utf8');
    expect(lesson).toContain('Node.js is 22 or newer');
    expect(lesson).not.toMatch(/≥ 20|a note, not a failure/);
  });

  it('.ci/run types and tests on Node 22 from the npm registry, and tours on Node 24', () => {
    const ci = readFileSync(join(repoRoot, '.ci/run'), 'utf8');
    expect(ci).toContain('for major in 22 24; do');
    expect(ci).toContain('npm install --prefix "$node_dir/$major" --no-save --no-audit --no-fund "node@$major"');
    expect(ci).toContain('PATH="$node22_bin:$PATH" npm run typecheck');
    expect(ci).toContain('PATH="$node22_bin:$PATH" TEST_NODE_24="$node24" npm test');
    expect(ci).toContain('"$node24" --import tsx scripts/tour.ts');
  });

  it('the suite itself runs on Node 22 or newer (CI runs it on 22)', () => {
    // Printed so that CI's log shows which Node ran the suite.
    console.log(`the suite runs on Node ${process.version} (${process.execPath})`);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
  });

  it('nodeTooOld: Node 20 is refused with how to get 22; 22 and 24 will do', () => {
    const old = nodeTooOld('20.20.2');
    expect(old?.wrong).toMatch(/^this is Node\.js 20\.20\.2; the workbook needs 22 or newer/);
    for (const way of ['nvm install 22', 'fnm install 22', 'volta install node@22', 'https://nodejs.org/en/download', 'npm run check:step-0']) {
      expect(old?.fix).toContain(way);
    }
    expect(nodeTooOld('21.7.3')?.wrong).toContain('Node.js 21.7.3');
    expect(nodeTooOld('22.0.0')).toBeUndefined();
    expect(nodeTooOld('24.21.0')).toBeUndefined();
  });
});

describe('check:step-0 on an older Node', () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud();
  });
  afterAll(() => cloud?.close());

  it('fails with a ✘ that says what is wrong and how to install Node 22', async (ctx) => {
    const old = olderNodeOnPath();
    if (!old) ctx.skip('no Node.js older than 22 on PATH to run the check with');
    const [, ...rest] = packageJson.scripts['check:step-0'].split(' ');
    const result = await run(old!.path, rest, cloud.env);
    expect(result.code, result.output).toBe(1);
    expect(result.stdout).toContain('✘ Node.js is 22 or newer (the workbook\'s baseline)');
    expect(result.stdout).toContain(`wrong: this is Node.js ${old!.version}; the workbook needs 22 or newer`);
    expect(result.stdout).toContain('fix: install Node 22 with a version manager (`nvm install 22`');
    // The rest of the check still ran: only the Node line failed.
    expect(result.stdout).toMatch(/✔ the target answers and names your identity/);
  }, 60_000);
});

/** The first `node` on PATH older than 22 (the machine's own, when the suite runs on a Node 22 put first on PATH). */
function olderNodeOnPath(): { path: string; version: string } | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(folder, 'node');
    try {
      accessSync(path, constants.X_OK);
      const version = execFileSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8', env: {} }).trim();
      if (Number(version.split('.')[0]) < 22 && Number(version.split('.')[0]) >= 18) return { path, version };
    } catch {
      // not here, or not a Node
    }
  }
  return undefined;
}
