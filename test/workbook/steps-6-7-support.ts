import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { captureOutput } from '../../lib/output.ts';
import { STEPS } from '../../lib/steps.ts';
import type { TestCloud } from '../support/cloud.ts';
import { withPrefix } from './steps-2-3-support.ts';
import { repoRoot } from './support.ts';

/**
 * Helpers for the tests of steps 6 and 7: solutions deployed in this process (a child process
 * each costs a second of CPU), aimed at the test cloud through the environment.
 */

/** Runs solutions/NN-…'s entry in this process; its output, or the error it threw (with its output). */
export async function deploySolution(step: number, prefix?: string): Promise<string> {
  const found = STEPS.find((s) => s.number === step)!;
  const module = (await import(pathToFileURL(join(repoRoot, 'solutions', found.folder, found.script)).href)) as Record<string, () => Promise<unknown>>;
  const { error, lines } = await withPrefix(prefix, () => captureOutput(module[found.entry]));
  if (error) throw Object.assign(error as Error, { output: lines.join('\n') });
  return lines.join('\n');
}

/** The recorder's prerequisites: the topic (step 4) and the table (step 6). */
export async function deployPrerequisites(prefix?: string): Promise<void> {
  await deploySolution(4, prefix);
  await deploySolution(6, prefix);
}

/**
 * Lambda retries a failed asynchronous invocation after 1 s and 2 s on the local cloud (minutes on
 * AWS); tests that wait for the failure destination shorten that.
 */
export function fastAsyncRetries(cloud: TestCloud): void {
  cloud.cloud.lambda.asyncInvocations.retryDelaysMs = [20, 40];
}

/** Every item of a table (tests use small tables). */
export async function allItems(dynamodb: DynamoDBClient, tableName: string) {
  return (await dynamodb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
}
