/**
 * Teardown's DynamoDB tables (step 6): tables named `<prefix>-…` and tagged workbook=<prefix>.
 * Their items and indexes go with them.
 */
import {
  DeleteTableCommand,
  DescribeTableCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  waitUntilTableExists,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { TAG_KEY } from '../lib/names.ts';
import type { Resource, ResourceKind } from './teardown.ts';

export function tables(dynamodb: DynamoDBClient): ResourceKind {
  return {
    kind: 'DynamoDB table',
    async list(prefix) {
      const found: Resource[] = [];
      let ExclusiveStartTableName: string | undefined;
      do {
        const page = await dynamodb.send(new ListTablesCommand({ ExclusiveStartTableName }));
        for (const name of page.TableNames ?? []) {
          if (!name.startsWith(`${prefix}-`)) continue;
          const table = await describe(dynamodb, name);
          // A table being deleted (AWS lists it for a few seconds) is as good as gone.
          if (!table || table.TableStatus === 'DELETING') continue;
          const { Tags = [] } = await dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: table.TableArn }));
          if (Tags.some((tag) => tag.Key === TAG_KEY && tag.Value === prefix)) found.push({ kind: 'DynamoDB table', name, id: name });
        }
        ExclusiveStartTableName = page.LastEvaluatedTableName;
      } while (ExclusiveStartTableName);
      return found;
    },
    async remove(table) {
      try {
        await dynamodb.send(new DeleteTableCommand({ TableName: table.id }));
        return true;
      } catch (err) {
        if (err instanceof ResourceNotFoundException) return false;
        if (!(err instanceof ResourceInUseException)) throw err;
        // Still being created or updated: DynamoDB deletes an ACTIVE table only.
        await waitUntilTableExists({ client: dynamodb, minDelay: 0.1, maxDelay: 5, maxWaitTime: 300 }, { TableName: table.id });
        await dynamodb.send(new DeleteTableCommand({ TableName: table.id }));
        return true;
      }
    },
  };
}

async function describe(dynamodb: DynamoDBClient, name: string) {
  try {
    return (await dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}
