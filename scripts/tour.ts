/**
 * `npm run tour` (and `npm start`): the whole workbook, start to finish, on a fresh local cloud
 * of its own — every solution and its check (step 8 sends orders end to end), the latency
 * report, then teardown — to show that everything works. It never touches your own local cloud
 * (.workbook/) or any other target.
 *
 * `npm run tour -- --realism aws [--realism-scale N]` (or LOCAL_CLOUD_REALISM=aws) runs it on a
 * cloud that plays AWS's timing — roles and policies propagating, functions Pending, mappings
 * Creating… (local-cloud/realism/README.md) — so every wait and retry of the workbook is exercised.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../local-cloud/server.ts';
import type { RealismProfile } from '../local-cloud/realism/profile.ts';
import { realismEnvironment, realismFromSettings } from '../local-cloud/realism/settings.ts';
import { loadCheck, runCheck } from '../checks/kit.ts';
import { loadDotEnv } from '../lib/config.ts';
import { ms as formatMs, summaryLine, type LatencyReport } from '../lib/latency-report.ts';
import { runMain } from '../lib/main.ts';
import { WorkbookError } from '../lib/errors.ts';
import { bold, captureOutput, duration, fail, heading, ok, say, withSpinner } from '../lib/output.ts';
import { STEPS, runStep } from '../lib/steps.ts';
import { report } from './report.ts';
import { planTeardown, teardown } from './teardown.ts';

/**
 * Step 8's orders in the tour, sent in half a second. Every POST /orders draws on one token bucket
 * (step 3's throttle: 10 tokens, 5 more a second), as do checks 3, 5 and 8: five orders leave
 * check 8 enough tokens; ten would leave it waiting about a second for refills.
 */
const TOUR_ORDERS = 5;
const TOUR_ORDER_RATE = 10;

interface Phase {
  label: string;
  /** Resolves to a short note for the ✔ line; throws (or returns false) when the phase fails. */
  run(): Promise<string | false>;
}

void runMain(async () => {
  loadDotEnv();
  const realism = realismSetting();
  heading(`Tour: the whole workbook on a fresh local cloud${realism.enabled ? ` with AWS's timing (× ${realism.scale})` : ''}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'workbook-tour-'));
  const tourStarted = new Date();
  let cloud: LocalCloud | undefined;
  try {
    cloud = await startLocalCloud({ port: 0, dataDir, region: 'us-east-1', realism });
    aimAt(cloud, dataDir, realism);
    ok(`local cloud ready at ${cloud.url}, realism ${realism.describe()} ${fmt(performance.now())}`);

    const phases: Phase[] = [];
    for (const step of STEPS) {
      phases.push({
        label: `solution ${step.number}: ${step.title.charAt(0).toLowerCase()}${step.title.slice(1)}`,
        run: async () => (await runStep('solutions', step.number)) === 0 && '',
      });
      phases.push({
        label: `check step ${step.number}`,
        run: async () => {
          const outcome = await runCheck(await loadCheck(step.number));
          const passed = outcome.results.filter((r) => r.outcome === 'pass' || r.outcome === 'warn').length;
          return outcome.passed && `${passed} verifications`;
        },
      });
    }
    let latency: LatencyReport | undefined;
    phases.push({
      label: 'latency report from the table (npm run report)',
      run: async () => {
        latency = await report({ from: new Date(tourStarted.getTime() - 60_000), to: new Date(Date.now() + 60_000) });
        if (!latency) throw new Error('the table holds no order with every stage time: step 8 recorded nothing');
        return `${latency.orders} orders`;
      },
    });
    let removedCount = 0;
    phases.push({
      label: 'teardown',
      run: async () => {
        removedCount = (await planTeardown()).length;
        return (await teardown({ yes: true })) === 0 && `${removedCount} resources`;
      },
    });
    phases.push({
      label: 'nothing left behind',
      run: async () => {
        const left = await planTeardown();
        if (left.length) throw new Error(`still there: ${left.map((r) => `${r.kind} ${r.name}`).join(', ')}`);
        return '';
      },
    });

    let failures = 0;
    for (const [index, phase] of phases.entries()) {
      const started = performance.now();
      const progress = `[${index + 1}/${phases.length}] ${phase.label}`;
      const { result, error, lines } = await withSpinner(progress, () => captureOutput(phase.run));
      const ms = fmt(performance.now() - started);
      if (error === undefined && result !== false) {
        ok(`${phase.label}${result ? ` (${result})` : ''} ${ms}`);
        continue;
      }
      failures++;
      fail(`${phase.label} ${ms}`);
      for (const line of lines) say(`    │ ${line}`);
      if (error !== undefined) say(`    │ ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }

    const wall = duration(performance.now());
    say();
    if (latency) {
      say(`  Latency, API to table: ${summaryLine(latency)}`);
      say(`  Per stage, p50 / p99: ${latency.spans.filter((span) => span.label !== 'end to end').map((span) => `${span.label} ${formatMs(span.p50)} / ${formatMs(span.p99)}`).join(', ')}`);
    }
    if (removedCount) say(`  Teardown removed ${removedCount} resources of the workbook, in dependency order.`);
    if (failures === 0) {
      ok(bold(`Tour passed: ${phases.length} phases, ${STEPS.length} steps, in ${wall} (wall time).`));
      return 0;
    }
    fail(bold(`Tour failed: ${failures} of ${phases.length} phases, in ${wall} (wall time).`));
    return 1;
  } finally {
    await cloud?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** `--realism aws [--realism-scale N]`, else LOCAL_CLOUD_REALISM(_SCALE); a bad value stops the tour with what is accepted. */
function realismSetting(): RealismProfile {
  try {
    return realismFromSettings(process.argv.slice(2), process.env);
  } catch (err) {
    throw new WorkbookError((err as Error).message, 'npm run tour -- --realism aws [--realism-scale 0.1], or npm run tour for instant changes.');
  }
}

/** Points every client in this process at the tour's cloud, whatever .env says. */
function aimAt(cloud: LocalCloud, dataDir: string, realism: RealismProfile): void {
  loadDotEnv(); // first, so that its values cannot come back over these
  process.env.WORKBOOK_TARGET = 'local';
  // What the cloud plays, for the workbook's code in this process (the cloud's health says the same).
  Object.assign(process.env, realismEnvironment(realism));
  if (!realism.enabled) delete process.env.LOCAL_CLOUD_REALISM_SCALE;
  process.env.LOCAL_CLOUD_PORT = String(cloud.port);
  process.env.AWS_REGION = 'us-east-1';
  delete process.env.AWS_ENDPOINT_URL;
  process.env.LOCAL_CLOUD_DATA = dataDir; // where checks read the cloud's control token
  // Step 8's shop sends its orders faster than the stage's rate: the stage's burst (step 3) lets
  // them through at once, so the tour does not wait on the throttle. A learner's own settings win.
  process.env.WORKBOOK_ORDERS ??= String(TOUR_ORDERS);
  process.env.WORKBOOK_ORDER_RATE ??= String(TOUR_ORDER_RATE);
}

const fmt = (ms: number) => `(${duration(ms)})`;
