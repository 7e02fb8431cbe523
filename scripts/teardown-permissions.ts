/**
 * Teardown's Lambda permissions: the statements of the workbook's functions' resource policies
 * (AddPermission: API Gateway may invoke the intake function, step 3; SNS the recorder, step 7).
 * A permission has no tags of its own; it is the workbook's because its function is (named
 * `<prefix>-…` and tagged workbook=<prefix>). Permissions go after the API and the subscriptions
 * that used them and before the functions, so nothing can invoke a function being removed.
 */
import {
  GetPolicyCommand,
  RemovePermissionCommand,
  ResourceNotFoundException,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import type { Resource, ResourceKind } from './teardown.ts';
import { ourFunctions } from './teardown-our-functions.ts';

interface Statement {
  Sid?: string;
  Principal?: string | { Service?: string | string[]; AWS?: string | string[] };
}

export function permissions(lambda: LambdaClient): ResourceKind {
  return {
    kind: 'Lambda permission',
    async list(prefix) {
      const found: Resource[] = [];
      for (const functionName of await ourFunctions(lambda, prefix)) {
        for (const statement of await statementsOf(lambda, functionName)) {
          if (!statement.Sid) continue;
          found.push({ kind: 'Lambda permission', name: `${functionName}: ${statement.Sid} (${principalOf(statement)})`, id: `${functionName}:${statement.Sid}` });
        }
      }
      return found;
    },
    async remove(permission) {
      // A function name has no ":" of its own: the id is "function:statement id".
      const split = permission.id.indexOf(':');
      try {
        await lambda.send(new RemovePermissionCommand({ FunctionName: permission.id.slice(0, split), StatementId: permission.id.slice(split + 1) }));
        return true;
      } catch (err) {
        if (err instanceof ResourceNotFoundException) return false;
        throw err;
      }
    },
  };
}

/** The statements of a function's resource policy; none when it has no policy (or is gone). */
async function statementsOf(lambda: LambdaClient, functionName: string): Promise<Statement[]> {
  try {
    const { Policy } = await lambda.send(new GetPolicyCommand({ FunctionName: functionName }));
    return (JSON.parse(Policy ?? '{}') as { Statement?: Statement[] }).Statement ?? [];
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return [];
    throw err;
  }
}

/** Who the statement lets in, for the listing: "apigateway.amazonaws.com". */
function principalOf(statement: Statement): string {
  const principal = statement.Principal;
  if (!principal || typeof principal === 'string') return principal ?? '?';
  return [principal.Service ?? [], principal.AWS ?? []].flat().join(', ') || '?';
}
