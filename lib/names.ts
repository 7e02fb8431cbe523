import { loadDotEnv } from './config.ts';
import { WorkbookError } from './errors.ts';

/**
 * Every resource the workbook makes is named `<prefix>-…` and tagged `workbook=<prefix>`;
 * `npm run teardown` removes only what matches both. WORKBOOK_PREFIX (default "workbook")
 * lets two copies of the workbook share one AWS account.
 */
export const TAG_KEY = 'workbook';

export function workbookPrefix(): string {
  loadDotEnv();
  const prefix = process.env.WORKBOOK_PREFIX || 'workbook';
  // The strictest names the pipeline uses (IAM roles, Lambda functions: 64 characters; queue
  // names: letters, digits, - and _) leave room for a short lower-case prefix.
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(prefix) || prefix.endsWith('-')) {
    throw new WorkbookError(
      `WORKBOOK_PREFIX is "${prefix}", which cannot start resource names.`,
      'Use 1–20 lower-case letters, digits and hyphens, starting with a letter (e.g. WORKBOOK_PREFIX=ana-wb), in .env or the environment.',
    );
  }
  return prefix;
}

/** The names of everything the pipeline is made of; each step adds its own. */
export function names() {
  const prefix = workbookPrefix();
  return {
    prefix,
    /** Step 1: the queue that holds every order, and where failing orders end up. */
    ordersQueue: `${prefix}-orders`,
    deadLetterQueue: `${prefix}-orders-dlq`,
    /** Step 2: the intake function, the role it runs as, and where its logs go. */
    intakeFunction: `${prefix}-intake`,
    intakeRole: `${prefix}-intake-role`,
    intakeLogGroup: `/aws/lambda/${prefix}-intake`,
    /** Step 3: the REST API in front of the intake function, and the stage shops call. */
    api: `${prefix}-orders-api`,
    apiStage: 'v1',
    /** Step 4: the topic every status update of every order is published to. */
    updatesTopic: `${prefix}-order-updates`,
    /** Step 5: the monitor function (fed by the orders queue), its role, and its logs. */
    monitorFunction: `${prefix}-monitor`,
    monitorRole: `${prefix}-monitor-role`,
    monitorLogGroup: `/aws/lambda/${prefix}-monitor`,
    /** Step 6: the table that keeps every status update of every order. */
    orderEventsTable: `${prefix}-order-events`,
    /** Step 7: the recorder function, its role, its logs, and where its failed invocations go. */
    recorderFunction: `${prefix}-recorder`,
    recorderRole: `${prefix}-recorder-role`,
    recorderLogGroup: `/aws/lambda/${prefix}-recorder`,
    recorderFailureQueue: `${prefix}-recorder-failures`,
    /** Step 9: the function behind GET /orders/{orderId}, its role (Query on the table only), and its logs. */
    statusFunction: `${prefix}-order-status`,
    statusRole: `${prefix}-order-status-role`,
    statusLogGroup: `/aws/lambda/${prefix}-order-status`,
  };
}

/** The tags every resource carries, as a map (SQS, Lambda, API Gateway, CloudWatch Logs take this form). */
export function workbookTags(): Record<string, string> {
  return { [TAG_KEY]: workbookPrefix() };
}

/** The same tags as a list of {Key, Value} (IAM takes this form). */
export function workbookTagList(): { Key: string; Value: string }[] {
  return Object.entries(workbookTags()).map(([Key, Value]) => ({ Key, Value }));
}
