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
  };
}

/** The tags every resource carries, as a map (SQS, Lambda, API Gateway take this form). */
export function workbookTags(): Record<string, string> {
  return { [TAG_KEY]: workbookPrefix() };
}
