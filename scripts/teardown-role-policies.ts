/**
 * Teardown's IAM role policies: the inline policies of the workbook's roles (PutRolePolicy) and
 * the managed policies attached to them (AttachRolePolicy; the policies themselves are AWS's and
 * stay). They are the workbook's because their role is (named `<prefix>-…` and tagged
 * workbook=<prefix>). IAM refuses to delete a role that still has any, so they go just before
 * the roles — after the functions, which run with them until they are gone.
 */
import {
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListRolesCommand,
  NoSuchEntityException,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { TAG_KEY } from '../lib/names.ts';
import type { Resource, ResourceKind } from './teardown.ts';

const INLINE = 'inline';
const ATTACHED = 'attached';

export function rolePolicies(iam: IAMClient): ResourceKind {
  return {
    kind: 'IAM role policy',
    async list(prefix) {
      const found: Resource[] = [];
      for (const roleName of await ourRoles(iam, prefix)) {
        try {
          for (const policyName of await inlinePolicies(iam, roleName)) {
            found.push({ kind: 'IAM role policy', name: `${roleName}: ${policyName} (inline)`, id: JSON.stringify([INLINE, roleName, policyName]) });
          }
          for (const policy of await attachedPolicies(iam, roleName)) {
            found.push({
              kind: 'IAM role policy',
              name: `${roleName}: ${policy.PolicyName} (attached)`,
              id: JSON.stringify([ATTACHED, roleName, policy.PolicyArn]),
            });
          }
        } catch (err) {
          if (!(err instanceof NoSuchEntityException)) throw err; // the role went meanwhile
        }
      }
      return found;
    },
    async remove(policy) {
      const [how, RoleName, name] = JSON.parse(policy.id) as [string, string, string];
      try {
        if (how === INLINE) await iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: name }));
        else await iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: name }));
        return true;
      } catch (err) {
        if (err instanceof NoSuchEntityException) return false;
        throw err;
      }
    },
  };
}

async function inlinePolicies(iam: IAMClient, RoleName: string): Promise<string[]> {
  const names: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await iam.send(new ListRolePoliciesCommand({ RoleName, Marker }));
    names.push(...(page.PolicyNames ?? []));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return names;
}

async function attachedPolicies(iam: IAMClient, RoleName: string) {
  const policies: { PolicyName?: string; PolicyArn?: string }[] = [];
  let Marker: string | undefined;
  do {
    const page = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName, Marker }));
    policies.push(...(page.AttachedPolicies ?? []));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return policies;
}

/** The names of the roles named `<prefix>-…` that carry the workbook's tag. */
async function ourRoles(iam: IAMClient, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await iam.send(new ListRolesCommand({ Marker }));
    for (const role of page.Roles ?? []) {
      if (!role.RoleName?.startsWith(`${prefix}-`)) continue;
      const tags = await iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName })).then(
        (out) => out.Tags ?? [],
        (err) => (err instanceof NoSuchEntityException ? [] : Promise.reject(err)),
      );
      if (tags.some((tag) => tag.Key === TAG_KEY && tag.Value === prefix)) names.push(role.RoleName);
    }
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return names;
}
