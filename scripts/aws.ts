/**
 * `npm run aws -- ARGS`: the aws CLI against whatever the workbook targets — the local cloud
 * (started if it is not running), an AWS_ENDPOINT_URL such as LocalStack, or real AWS with the
 * learner's own credentials. Input, output and the exit code are the CLI's own; the workbook's
 * own lines go to stderr, so `npm run -s aws -- … | jq` reads clean JSON.
 * Usage: node --import tsx scripts/aws.ts ARGS
 */
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { adaptForV1, awsCliArguments, awsCliEnvironment, cliMajorVersion, findAwsCli, installAdvice, usesV2Only } from '../lib/aws-cli.ts';
import { resolveTarget } from '../lib/config.ts';
import { ensureTargetAnswers } from '../lib/localCloud.ts';
import { printError, runMain } from '../lib/main.ts';
import { captureOutput, cmd, fail, hint, say } from '../lib/output.ts';

const args = process.argv.slice(2);

/** Runs `work` with the workbook's lines written to stderr instead of stdout. */
async function toStderr<T>(work: () => Promise<T>): Promise<T> {
  const { result, error, lines } = await captureOutput(work);
  for (const line of lines) process.stderr.write(`${line}\n`);
  if (error !== undefined) throw error;
  return result as T;
}

async function main(): Promise<number> {
  if (args.length === 0) {
    await toStderr(async () => {
      fail('Which aws command? Give it after `--`.');
      hint(`${cmd('npm run aws -- sqs list-queues')} (any aws CLI command; it runs against the workbook's target)`, 'e.g.');
    });
    return 2;
  }
  const cli = findAwsCli();
  if (!cli) {
    await toStderr(async () => {
      const chosen = process.env.WORKBOOK_AWS_CLI?.trim();
      fail(chosen ? `WORKBOOK_AWS_CLI is "${chosen}", which is not a program that can run.` : 'The aws CLI is not installed (no `aws` on PATH).');
      for (const line of installAdvice()) say(`    ${line}`);
    });
    return 127;
  }
  const target = resolveTarget();
  await toStderr(() => ensureTargetAnswers(target));

  let cliArgs = awsCliArguments(target, args);
  if (usesV2Only(args) && cliMajorVersion(versionOf(cli)) === 1) {
    const adapted = adaptForV1(cliArgs);
    cliArgs = adapted.args;
    for (const note of adapted.notes) process.stderr.write(`(${note})\n`);
  }
  return run(cli, cliArgs, awsCliEnvironment(target));
}

function versionOf(cli: string): string {
  const result = spawnSync(cli, ['--version'], { encoding: 'utf8', env: { ...process.env, AWS_PAGER: '' } });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`;
}

/** Runs the CLI on this terminal; resolves with its exit code (128 + signal when a signal ended it). */
function run(cli: string, cliArgs: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cli, cliArgs, { stdio: 'inherit', env });
    // Ctrl-C reaches the CLI too (same process group): let it stop, then pass on how it ended.
    const ignore = () => {};
    process.on('SIGINT', ignore);
    process.on('SIGTERM', () => child.kill('SIGTERM'));
    child.on('error', (err) => {
      process.stderr.write(`✘ Could not run ${cli}: ${err.message}\n`);
      resolve(126);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

void runMain(async () => {
  try {
    return await main();
  } catch (err) {
    await toStderr(async () => printError(err));
    return 1;
  }
});
