import { GetPolicyCommand, ResourceNotFoundException, type LambdaClient } from '@aws-sdk/client-lambda';
import { conditionValues, list, matches, servicePrincipals, statementsOf } from './policy.ts';

/**
 * The statements of a function's resource policy that let `principal` (apigateway.amazonaws.com,
 * sns.amazonaws.com) invoke it, each as the SourceArn patterns it is scoped to: an empty list is a
 * statement with no SourceArn (any API or topic, in any account). None at all: no such permission
 * (or no resource policy).
 */
export async function invokeSourceArns(lambda: LambdaClient, functionName: string, principal: string): Promise<string[][]> {
  const policy = await lambda.send(new GetPolicyCommand({ FunctionName: functionName })).then(
    (out) => out.Policy,
    (err) => (err instanceof ResourceNotFoundException ? undefined : Promise.reject(err)),
  );
  return statementsOf(policy)
    .filter((s) => s.Effect === 'Allow' && servicePrincipals(s).includes(principal) && list(s.Action).some((a) => matches(a, 'lambda:InvokeFunction', true)))
    .map((s) => [...conditionValues(s, 'ArnLike', 'aws:SourceArn'), ...conditionValues(s, 'ArnEquals', 'aws:SourceArn')]);
}
