import type { Cloud } from '../cloud.ts';
import type { CallContext } from '../core/context.ts';
import type { QueryAction, QueryParams, QueryService, XmlObject } from '../protocol/awsQuery.ts';
import { iamErrors } from './errors.ts';
import type { ManagedPolicyView } from './managed.ts';
import type { Page, RoleRecord } from './records.ts';
import * as valid from './validation.ts';

/**
 * IAM's query-protocol wire adapter: reads the form parameters, checks them, calls the backend,
 * and shapes the XML answer. Policy documents travel URL-encoded in answers (the aws CLI decodes
 * them; SDK users call decodeURIComponent), dates as ISO 8601, lists as <member> elements.
 */
export function iamQuery(cloud: Cloud): QueryService {
  const iam = cloud.iam;
  const account = cloud.accountId;
  const authorize = (ctx: CallContext, action: string, resource: string) => ctx.cloud.authorize(ctx, `iam:${action}`, resource);
  const roleResource = (name: string) => iam.roleArn(name);

  const actions: Record<string, QueryAction> = {
    // ---- roles ----
    CreateRole: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      const path = valid.rolePath(p.get('Path'));
      const document = valid.policyDocument(p.get('AssumeRolePolicyDocument'), 'assumeRolePolicyDocument');
      const input = {
        name,
        path,
        assumeRolePolicyDocument: document,
        description: valid.description(p.get('Description')),
        maxSessionDuration: valid.maxSessionDuration(p.int('MaxSessionDuration')),
        tags: valid.tags(readTags(p)),
      };
      authorize(ctx, 'CreateRole', `arn:aws:iam::${account}:role${path}${name}`);
      return { Role: roleXml(iam.createRole(input), 'create') };
    },
    GetRole: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      authorize(ctx, 'GetRole', roleResource(name));
      return { Role: roleXml(iam.getRole(name), 'get') };
    },
    DeleteRole: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      authorize(ctx, 'DeleteRole', roleResource(name));
      iam.deleteRole(name);
    },
    ListRoles: (p, ctx) => {
      const prefix = valid.pathPrefix(p.get('PathPrefix'));
      authorize(ctx, 'ListRoles', `arn:aws:iam::${account}:role${prefix}*`);
      const page = iam.listRoles(prefix, p.get('Marker'), valid.maxItems(p.int('MaxItems')));
      return { Roles: members(page.items.map((role) => roleXml(role, 'list'))), ...paging(page) };
    },
    UpdateRole: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      const changes = {
        description: valid.description(p.get('Description')),
        maxSessionDuration: p.get('MaxSessionDuration') === undefined ? undefined : valid.maxSessionDuration(p.int('MaxSessionDuration')),
      };
      authorize(ctx, 'UpdateRole', roleResource(name));
      iam.updateRole(name, changes);
      return {};
    },
    UpdateAssumeRolePolicy: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      const document = valid.policyDocument(p.get('PolicyDocument'), 'policyDocument');
      authorize(ctx, 'UpdateAssumeRolePolicy', roleResource(name));
      iam.updateAssumeRolePolicy(name, document);
    },
    TagRole: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      const tags = valid.tags(readTags(p));
      authorize(ctx, 'TagRole', roleResource(name));
      iam.tagRole(name, tags);
    },
    UntagRole: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      const keys = p.list('TagKeys');
      authorize(ctx, 'UntagRole', roleResource(name));
      iam.untagRole(name, keys);
    },
    ListRoleTags: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      authorize(ctx, 'ListRoleTags', roleResource(name));
      const tags = iam.getRole(name).tags;
      const maxItems = valid.maxItems(p.int('MaxItems'));
      const start = Number(p.get('Marker') ?? 0) || 0;
      const items = tags.slice(start, start + maxItems);
      const isTruncated = start + items.length < tags.length;
      return {
        Tags: members(items.map(tagXml)),
        IsTruncated: isTruncated,
        ...(isTruncated ? { Marker: String(start + items.length) } : {}),
      };
    },

    // ---- inline policies ----
    PutRolePolicy: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      const policy = valid.policyName(p.get('PolicyName'));
      const document = valid.policyDocument(p.get('PolicyDocument'), 'policyDocument');
      authorize(ctx, 'PutRolePolicy', roleResource(name));
      iam.putRolePolicy(name, policy, document);
    },
    GetRolePolicy: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      const policy = valid.policyName(p.get('PolicyName'));
      authorize(ctx, 'GetRolePolicy', roleResource(name));
      const found = iam.getRolePolicy(name, policy);
      return { RoleName: found.roleName, PolicyName: found.policyName, PolicyDocument: encodeDocument(found.document) };
    },
    DeleteRolePolicy: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      const policy = valid.policyName(p.get('PolicyName'));
      authorize(ctx, 'DeleteRolePolicy', roleResource(name));
      iam.deleteRolePolicy(name, policy);
    },
    ListRolePolicies: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      authorize(ctx, 'ListRolePolicies', roleResource(name));
      const page = iam.listRolePolicies(name, p.get('Marker'), valid.maxItems(p.int('MaxItems')));
      return { PolicyNames: members(page.items), ...paging(page) };
    },

    // ---- attached managed policies ----
    AttachRolePolicy: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      const arn = valid.required(p.get('PolicyArn'), 'policyArn');
      authorize(ctx, 'AttachRolePolicy', roleResource(name));
      iam.attachRolePolicy(name, arn);
    },
    DetachRolePolicy: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      const arn = valid.required(p.get('PolicyArn'), 'policyArn');
      authorize(ctx, 'DetachRolePolicy', roleResource(name));
      iam.detachRolePolicy(name, arn);
    },
    ListAttachedRolePolicies: (p, ctx) => {
      const name = valid.roleName(p.get('RoleName'));
      const prefix = valid.pathPrefix(p.get('PathPrefix'));
      authorize(ctx, 'ListAttachedRolePolicies', roleResource(name));
      const page = iam.listAttachedRolePolicies(name, prefix, p.get('Marker'), valid.maxItems(p.int('MaxItems')));
      return {
        AttachedPolicies: members(page.items.map((a) => ({ PolicyName: a.name, PolicyArn: a.arn }))),
        ...paging(page),
      };
    },

    // ---- managed policies ----
    CreatePolicy: (p, ctx) => {
      const name = valid.policyName(p.get('PolicyName'));
      const path = valid.policyPath(p.get('Path'));
      const document = valid.policyDocument(p.get('PolicyDocument'), 'policyDocument');
      const description = valid.description(p.get('Description'));
      const tags = valid.tags(readTags(p));
      authorize(ctx, 'CreatePolicy', `arn:aws:iam::${account}:policy${path}${name}`);
      iam.checkDocument(document, 'identity');
      const created = iam.managed.create({ name, path, document, description, tags });
      // CreatePolicy's answer leaves out the description (GetPolicy shows it).
      return { Policy: policyXml({ ...created, description: undefined }) };
    },
    GetPolicy: (p, ctx) => {
      const arn = valid.required(p.get('PolicyArn'), 'policyArn');
      authorize(ctx, 'GetPolicy', arn);
      return { Policy: policyXml(iam.managed.get(arn)) };
    },
    DeletePolicy: (p, ctx) => {
      const arn = valid.required(p.get('PolicyArn'), 'policyArn');
      authorize(ctx, 'DeletePolicy', arn);
      iam.managed.delete(arn);
    },
    GetPolicyVersion: (p, ctx) => {
      const arn = valid.required(p.get('PolicyArn'), 'policyArn');
      const versionId = valid.required(p.get('VersionId'), 'versionId');
      if (!/^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/.test(versionId)) {
        throw iamErrors.validation(versionId, 'versionId', 'Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?');
      }
      authorize(ctx, 'GetPolicyVersion', arn);
      const version = iam.managed.version(arn, versionId);
      return {
        PolicyVersion: {
          Document: encodeDocument(version.document),
          VersionId: version.versionId,
          IsDefaultVersion: version.isDefaultVersion,
          CreateDate: version.createDate,
        },
      };
    },
    ListPolicies: (p, ctx) => {
      const scope = p.get('Scope') ?? 'All';
      if (scope !== 'All' && scope !== 'AWS' && scope !== 'Local') {
        throw iamErrors.validation(scope, 'scope', 'Member must satisfy enum value set: [All, AWS, Local]');
      }
      const pathPrefix = p.get('PathPrefix') ?? '/';
      authorize(ctx, 'ListPolicies', `arn:aws:iam::${account}:policy${pathPrefix}*`);
      const page = iam.managed.list({
        scope,
        onlyAttached: p.get('OnlyAttached') === 'true',
        pathPrefix,
        marker: p.get('Marker'),
        maxItems: valid.maxItems(p.int('MaxItems')),
      });
      return { Policies: members(page.items.map((policy) => policyXml({ ...policy, description: undefined }))), ...paging(page) };
    },
  };

  return { xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/', actions };
}

function roleXml(role: RoleRecord, view: 'create' | 'get' | 'list'): XmlObject {
  const xml: XmlObject = {
    Path: role.path,
    RoleName: role.name,
    RoleId: role.id,
    Arn: role.arn,
    CreateDate: role.createDate,
    AssumeRolePolicyDocument: encodeDocument(role.assumeRolePolicyDocument),
  };
  if (role.description !== undefined) xml.Description = role.description;
  if (view !== 'create') xml.MaxSessionDuration = role.maxSessionDuration;
  // ListRoles leaves out tags and last use; GetRole always has RoleLastUsed, empty until a role is used.
  if (view !== 'list' && role.tags.length > 0) xml.Tags = members(role.tags.map(tagXml));
  if (view === 'get') xml.RoleLastUsed = {};
  return xml;
}

function policyXml(policy: ManagedPolicyView): XmlObject {
  const xml: XmlObject = {
    PolicyName: policy.name,
    PolicyId: policy.id,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: policy.defaultVersionId,
    AttachmentCount: policy.attachmentCount,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    CreateDate: policy.createDate,
    UpdateDate: policy.updateDate,
  };
  if (policy.description !== undefined) xml.Description = policy.description;
  if (policy.tags.length > 0) xml.Tags = members(policy.tags.map(tagXml));
  return xml;
}

function tagXml(tag: valid.Tag): XmlObject {
  return { Key: tag.Key, Value: tag.Value };
}

function readTags(p: QueryParams): valid.Tag[] {
  return p.structs('Tags').map((t) => ({ Key: t.get('Key') ?? '', Value: t.get('Value') ?? '' }));
}

function members(items: Array<XmlObject | string>): XmlObject {
  return { member: items };
}

function paging(page: Page<unknown>): XmlObject {
  return page.isTruncated ? { IsTruncated: true, Marker: page.marker } : { IsTruncated: false };
}

/** RFC 3986 percent-encoding, as IAM returns policy documents. */
function encodeDocument(document: string): string {
  return encodeURIComponent(document).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
