import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { build, type Message } from 'esbuild';
import { zipSync } from 'fflate';
import { displayPath, repoRoot } from './config.ts';
import {
  GetFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { WorkbookError, errorName } from './errors.ts';
import { retry, retryWhileBusy } from './wait.ts';

/**
 * Lambda plumbing shared by the steps that deploy functions: packaging the handler, and
 * waiting out the one eventual-consistency error every new execution role meets on AWS.
 */

/** The bundle's file name in the zip, and the Handler setting that names its export. */
export const BUNDLE_FILE = 'index.mjs';
export const HANDLER = 'index.handler';

/** A function's code, ready for CreateFunction / UpdateFunctionCode. */
export interface FunctionCode {
  zip: Uint8Array;
  /** Base64 SHA-256 of the zip: what Lambda reports as CodeSha256, so a script can tell unchanged code. */
  sha256: string;
  /** Size of the bundled JavaScript, for people. */
  bundleBytes: number;
}

/**
 * A `require` for the bundle: ESM has none, and a bundled CommonJS package that calls
 * require('node:…') would otherwise fail with "Dynamic require is not supported".
 */
const REQUIRE_BANNER = "import { createRequire as __workbookRequire } from 'node:module';\nconst require = __workbookRequire(import.meta.url);";

/** Any fixed date: zip entries carry a time, and the same code must zip to the same bytes. */
const ZIP_ENTRY_TIME = new Date('2024-01-01T00:00:00');

/**
 * Bundles a TypeScript handler with esbuild (one ESM file for Node 22, with everything it
 * imports except the AWS SDK v3, which the Lambda runtime provides) and zips it in memory.
 */
export async function bundleHandler(entry: string | URL): Promise<FunctionCode> {
  const entryPath = entry instanceof URL ? fileURLToPath(entry) : entry;
  let output: Uint8Array;
  try {
    const result = await build({
      entryPoints: [entryPath],
      outfile: BUNDLE_FILE,
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      // The runtime's SDK: a smaller zip and a faster cold start (README.md of step 2 says more).
      external: ['@aws-sdk/*'],
      banner: { js: REQUIRE_BANNER },
      legalComments: 'none',
      logLevel: 'silent',
      // The bundle names its sources relative to the project, wherever the command runs from and
      // however node_modules is linked: the same code makes the same zip (and CodeSha256).
      absWorkingDir: repoRoot,
      preserveSymlinks: true,
      // Type-only and unused imports are dropped from the bundle (the repository's tsconfig keeps
      // them, for tsx); e.g. the todo() import a solution no longer uses.
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: false } },
    });
    output = result.outputFiles[0].contents;
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors ?? [];
    if (errors.length === 0) throw err;
    const first = errors[0];
    const where = first.location ? `${displayPath(first.location.file)}:${first.location.line}` : displayPath(entryPath);
    throw new WorkbookError(
      `The handler does not build: ${where}: ${first.text}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
      `fix ${where}; \`npx tsc -p .\` shows every type error too.`,
    );
  }
  const zip = zipSync({ [BUNDLE_FILE]: [output, { mtime: ZIP_ENTRY_TIME }] }, { level: 9 });
  return { zip, sha256: createHash('sha256').update(zip).digest('base64'), bundleBytes: output.length };
}

/**
 * True for Lambda's answer to a role it cannot assume. Right after CreateRole that is IAM
 * propagating the new role (a few seconds); for an old role, a trust policy that does not name
 * lambda.amazonaws.com.
 */
export function isRoleNotYetAssumable(err: unknown): boolean {
  return (
    errorName(err) === 'InvalidParameterValueException' &&
    /role defined for the function cannot be assumed by Lambda/i.test(err instanceof Error ? err.message : '')
  );
}

/**
 * Runs a CreateFunction or UpdateFunctionConfiguration call, retrying with backoff while Lambda
 * cannot assume the role yet. Gives up after `deadlineMs` with what else it may be.
 */
export async function whenRoleAssumable<T>(
  call: () => Promise<T>,
  role: string,
  options: { deadlineMs?: number } = {},
): Promise<T> {
  const deadlineMs = options.deadlineMs ?? 60_000;
  try {
    return await retry(call, {
      retryable: isRoleNotYetAssumable,
      waitingMessage: `Lambda cannot assume ${role} yet: IAM takes a few seconds to make a new role usable everywhere. Retrying…`,
      deadlineMs,
      initialDelayMs: 100,
      maxDelayMs: 3000,
    });
  } catch (err) {
    if (!isRoleNotYetAssumable(err)) throw err;
    throw new WorkbookError(
      `Lambda still cannot assume the role ${role} after ${Math.round(deadlineMs / 1000)} s.`,
      "its trust policy must let the service lambda.amazonaws.com call sts:AssumeRole (the script's TRUST_POLICY); " +
        'if it does, IAM is slow to propagate: run the step again in a minute.',
    );
  }
}

/**
 * True for Lambda's refusal of a change while another is under way: "The operation cannot be
 * performed at this time." — the function is still Pending after CreateFunction, or an update
 * is InProgress (ResourceConflictException; the same exception also means "already exists",
 * which is not this).
 */
export function isFunctionBusy(err: unknown): boolean {
  return (
    errorName(err) === 'ResourceConflictException' &&
    /cannot be performed at this time|update is in progress|currently in the following state/i.test(err instanceof Error ? err.message : '')
  );
}

/**
 * Waits, with the SDK's waiters, until Lambda takes a change to the function: Active (not
 * Pending, as after CreateFunction) and no update InProgress. A function that ended Failed is
 * explained, with its reason.
 */
export async function waitUntilFunctionSettled(lambda: LambdaClient, name: string, maxWaitTime = 180): Promise<void> {
  const waiter = { client: lambda, minDelay: 0.2, maxDelay: 5, maxWaitTime };
  const configuration = () => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  try {
    let current = await configuration();
    if (current.State === 'Pending') {
      await waitUntilFunctionActiveV2(waiter, { FunctionName: name });
      current = await configuration();
    }
    if (current.LastUpdateStatus === 'InProgress') await waitUntilFunctionUpdatedV2(waiter, { FunctionName: name });
  } catch (err) {
    const now = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    if (now.State === 'Pending' || now.LastUpdateStatus === 'InProgress') {
      throw new WorkbookError(
        `${name} is still ${now.State === 'Pending' ? 'Pending' : 'being updated'} after ${maxWaitTime} s.`,
        `look at it: npm run aws -- lambda get-function-configuration --function-name ${name}; run the step again once State is Active and LastUpdateStatus Successful.`,
      );
    }
    if (now.State === 'Failed' || now.LastUpdateStatus === 'Failed') {
      throw new WorkbookError(
        `${name} ${now.State === 'Failed' ? 'failed to start' : 'failed its last update'}: ${now.StateReason ?? now.LastUpdateStatusReason ?? 'no reason given'}.`,
        'fix what the reason says, then run the step again (it updates the function).',
      );
    }
    throw err;
  }
}

/**
 * Runs one change to a function (UpdateFunctionCode, UpdateFunctionConfiguration) once Lambda
 * will take it. Lambda takes one change at a time: the function is waited for first
 * (waitUntilFunctionSettled), and a ResourceConflictException — another change got in
 * first, from a second terminal or the console — is waited out and retried, until the deadline.
 */
export async function oneChangeAtATime<T>(lambda: LambdaClient, name: string, change: () => Promise<T>, deadlineMs = 180_000): Promise<T> {
  const settle = () => waitUntilFunctionSettled(lambda, name);
  await settle();
  return retryWhileBusy(change, {
    busy: isFunctionBusy,
    beforeRetry: settle,
    waitingMessage: `${name} is busy with another change (Lambda takes one at a time). Waiting for it…`,
    deadlineMs,
    initialDelayMs: 200,
    maxDelayMs: 5_000,
  });
}
