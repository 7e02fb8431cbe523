import { WorkbookError } from './errors.ts';
import { TAG_KEY, workbookPrefix } from './names.ts';

/** Tags as AWS returns them: a map (SQS, Lambda, API Gateway) or a list of {Key, Value} (IAM, SNS, DynamoDB). */
export type ResourceTags = Record<string, string> | { Key?: string; Value?: string }[] | undefined;

/** The value of the workbook's tag, if the resource carries it. */
export function workbookTagOf(tags: ResourceTags): string | undefined {
  if (!tags) return undefined;
  if (Array.isArray(tags)) return tags.find((tag) => tag.Key === TAG_KEY)?.Value;
  return Object.hasOwn(tags, TAG_KEY) ? tags[TAG_KEY] : undefined;
}

/**
 * A step changes an existing resource only when this copy of the workbook made it: it carries
 * the tag workbook=<prefix>, which the step gave it when it created it. Anything else with one
 * of the workbook's names is someone else's — made by hand, by another tool, or by another copy
 * of the workbook — and a step that tagged it would hand it to `npm run teardown` to delete.
 */
export function refuseUnlessOurs(kind: string, name: string, tags: ResourceTags): void {
  const prefix = workbookPrefix();
  const owner = workbookTagOf(tags);
  if (owner === prefix) return;
  const whose =
    owner === undefined
      ? `it has no "${TAG_KEY}" tag, so the workbook did not make it: it seems to be someone else's (made by hand, or by another tool)`
      : `it is tagged ${TAG_KEY}=${owner}: it seems to belong to a copy of the workbook run with WORKBOOK_PREFIX=${owner}`;
  throw new WorkbookError(
    `There is already a ${kind} named ${name}, and it is not this workbook's: ${whose}. Nothing was changed on it.`,
    'if it is someone else\'s (two people in one account), give your copy names of its own: set WORKBOOK_PREFIX ' +
      '(e.g. WORKBOOK_PREFIX=ana-wb) in .env and run the steps again from step 1. If it is yours (made by hand, or by an ' +
      `older copy of the workbook), give it the tag ${TAG_KEY}=${prefix} yourself (then the steps update it, and ` +
      '`npm run teardown` removes it with the rest) or delete it; then run this step again.',
  );
}
