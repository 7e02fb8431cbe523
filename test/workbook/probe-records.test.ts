import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import type { CheckDefinition } from '../../checks/kit.ts';
import { check as check2 } from '../../checks/step-2.ts';
import { check as check3 } from '../../checks/step-3.ts';
import { check as check4 } from '../../checks/step-4.ts';
import { check as check5 } from '../../checks/step-5.ts';
import { aimAt, checkInProcess } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';

/**
 * A check leaves nothing behind, even once the whole pipeline carries its probes on to the
 * order-events table: on steps 1–7 (solutions deployed in this process), checks 2–5 pass and the
 * table is as empty afterwards as before; on steps 1–3 alone they lose no time waiting for it.
 */
let cloud: TestCloud;
let dynamodb: DynamoDBClient;
const TABLE = 'workbook-order-events';
const CHECKS: CheckDefinition[] = [check2, check3, check4, check5];

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  dynamodb = new DynamoDBClient(cloud.clientConfig);
});
afterAll(() => cloud.close());

const itemCount = async () => (await dynamodb.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true, Select: 'COUNT' }))).Count;

describe('probe records: checks 2–5 leave no record in the order-events table', () => {
  it('on steps 1–3 only, checks 2 and 3 pass without waiting for a table that is not there', async () => {
    for (const step of [1, 2, 3]) await deploySolution(step);
    for (const check of [check2, check3]) {
      const started = Date.now();
      const { passed, stdout } = await checkInProcess(check);
      expect(passed, stdout).toBe(true);
      expect(stdout).not.toContain('probe order');
      expect(Date.now() - started).toBeLessThan(4_000);
    }
  });

  it('on the whole pipeline, checks 2, 3, 4 and 5 pass and the table holds no item afterwards', async () => {
    for (const step of [4, 5, 6, 7]) await deploySolution(step);
    // Checks 2 and 3 now leave the queue to the monitor (their probes would be processed as orders);
    // checks 4 and 5 publish updates the recorder stores, and remove those records.
    expect(await itemCount()).toBe(0);
    for (const check of CHECKS) {
      const { passed, stdout } = await checkInProcess(check);
      expect(passed, stdout).toBe(true);
      expect(stdout, `check ${check.step}`).not.toMatch(/^! /m); // no note: every probe record was found and removed
      expect(await itemCount(), `after check:step-${check.step}`).toBe(0);
    }
  });
});
