import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { problem } from './kit.ts';
import { list, matches, servicePrincipals, statementsOf, type Statement } from './policy.ts';

/** A function's execution role as checks read it: attached policies (with their documents) and inline statements. */
export interface LambdaRole {
  attached: { name: string; arn: string; statements: Statement[] }[];
  inline: { policy: string; statement: Statement }[];
}

/** Where a learner fixes the role: the step that makes it, its script, and how to apply the fix. */
export interface RoleFix {
  step: number;
  stepFile: string;
  rerun: string;
}

/**
 * Reads a function's execution role. Fails the verification (with the fix) when the role is
 * missing, when Lambda may not assume it, or when anyone else may: a role others can assume
 * lets them act with the function's rights.
 */
export async function describeLambdaRole(iam: IAMClient, name: string, fix: RoleFix): Promise<LambdaRole> {
  let trust: Statement[];
  try {
    trust = statementsOf((await iam.send(new GetRoleCommand({ RoleName: name }))).Role?.AssumeRolePolicyDocument);
  } catch (err) {
    if (err instanceof NoSuchEntityException) {
      problem(`the function's role ${name} does not exist.`, `run \`npm run step:${fix.step}\`: it creates the role and points the function at it.`);
    }
    throw err;
  }
  const allows = trust.filter((s) => s.Effect === 'Allow' && list(s.Action).some((a) => matches(a, 'sts:AssumeRole', true)));
  if (!allows.some((s) => servicePrincipals(s).includes('lambda.amazonaws.com'))) {
    problem(
      `${name}'s trust policy does not let lambda.amazonaws.com assume it: Lambda cannot run the function as this role.`,
      `in ${fix.stepFile} keep TRUST_POLICY (Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole'), ${fix.rerun}.`,
    );
  }
  const others = allows.filter(
    (s) =>
      s.Principal === '*' ||
      Object.keys(s.Principal ?? {}).some((k) => k !== 'Service') ||
      servicePrincipals(s).some((p) => p !== 'lambda.amazonaws.com'),
  );
  if (others.length > 0) {
    problem(
      `${name}'s trust policy also lets ${JSON.stringify(others[0].Principal)} assume it, and so act with the function's rights.`,
      `in ${fix.stepFile} keep TRUST_POLICY to the one principal lambda.amazonaws.com, ${fix.rerun}.`,
    );
  }
  const { AttachedPolicies = [] } = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
  const attached: LambdaRole['attached'] = [];
  for (const policy of AttachedPolicies) {
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: policy.PolicyArn }));
    const { PolicyVersion } = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: policy.PolicyArn, VersionId: Policy?.DefaultVersionId }),
    );
    attached.push({ name: policy.PolicyName!, arn: policy.PolicyArn!, statements: statementsOf(PolicyVersion?.Document) });
  }
  const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: name }));
  const inline: LambdaRole['inline'] = [];
  for (const policy of PolicyNames) {
    const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policy }));
    for (const statement of statementsOf(PolicyDocument)) inline.push({ policy, statement });
  }
  return { attached, inline };
}
