import { ListFunctionsCommand, ListTagsCommand, ResourceNotFoundException, type LambdaClient } from '@aws-sdk/client-lambda';
import { TAG_KEY } from '../lib/names.ts';

/**
 * The names of the workbook's functions: named `<prefix>-…` AND tagged workbook=<prefix>.
 * Teardown removes them, and the mappings and permissions that belong to them.
 */
export async function ourFunctions(lambda: LambdaClient, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await lambda.send(new ListFunctionsCommand({ Marker }));
    for (const fn of page.Functions ?? []) {
      if (!fn.FunctionName?.startsWith(`${prefix}-`)) continue;
      const tags = await lambda.send(new ListTagsCommand({ Resource: fn.FunctionArn })).then(
        (out) => out.Tags,
        (err) => (err instanceof ResourceNotFoundException ? undefined : Promise.reject(err)),
      );
      if (tags?.[TAG_KEY] === prefix) names.push(fn.FunctionName);
    }
    Marker = page.NextMarker;
  } while (Marker);
  return names;
}
