import type { Cloud } from '../cloud.ts';
import { iamErrors } from './errors.ts';
import { ManagedPolicies } from './managed.ts';
import { evaluate, parsePolicyDocument, PolicyDocumentError, normalizePolicy } from './policy/index.ts';
import { partitionOfRegion } from './policy/resource-format.ts';
import type { ContextValue, DocumentKind, EvaluationRequest, EvaluationResult, Policy, PolicyInput } from './policy/index.ts';
import { byKey, now, paginate, policySize, uniqueId, type IamSnapshot, type InlinePolicyRecord, type Page, type RoleRecord } from './records.ts';
import type { Tag } from './validation.ts';
import { RolesInForce, versionOf, type RoleVersion } from './in-force.ts';
import { AWS_TIMING } from '../realism/aws-timing.ts';

const STATE = 'iam';
const INLINE_POLICY_QUOTA = 10240;
const TRUST_POLICY_QUOTA = 2048;
const ATTACHED_POLICIES_QUOTA = 10;

export interface CreateRoleInput {
  name: string;
  path: string;
  assumeRolePolicyDocument: string;
  description?: string;
  maxSessionDuration: number;
  tags: Tag[];
}

export interface AttachedPolicy {
  name: string;
  arn: string;
}

/**
 * IAM state and behaviour: roles, their trust policies, inline and attached managed policies,
 * and customer managed policies. Names are case-insensitive, as in IAM ("MyRole" and "myrole"
 * are the same role), but each keeps the spelling it was created with.
 */
export class IamBackend {
  private readonly roles = new Map<string, RoleRecord>();
  readonly managed: ManagedPolicies;
  /** Parsed documents by their text: policies are read far more often than written. */
  private readonly parsed = new Map<string, Policy>();
  /** What decides each role's calls while changes propagate (realism profile; in force at once when off). */
  readonly inForce: RolesInForce;

  constructor(readonly cloud: Cloud) {
    this.inForce = new RolesInForce(cloud.realism);
    this.managed = new ManagedPolicies(cloud.accountId, (arn) => this.attachmentCount(arn), () => this.changed());
    const saved = cloud.store.load<IamSnapshot>(STATE);
    for (const role of saved?.roles ?? []) this.roles.set(role.name.toLowerCase(), role);
    this.managed.load(saved?.policies ?? []);
    cloud.store.register(STATE, (): IamSnapshot => ({ roles: [...this.roles.values()], policies: this.managed.snapshot() }));
  }

  // ---- roles ---------------------------------------------------------------------------------

  /** The ARN a role has, or would have with the default path (for authorization before lookup). */
  roleArn(name: string): string {
    return this.roles.get(name.toLowerCase())?.arn ?? `arn:aws:iam::${this.cloud.accountId}:role/${name}`;
  }

  createRole(input: CreateRoleInput): RoleRecord {
    if (this.roles.has(input.name.toLowerCase())) throw iamErrors.roleExists(input.name);
    this.checkTrustPolicy(input.assumeRolePolicyDocument);
    const role: RoleRecord = {
      name: input.name,
      id: uniqueId('AROA'),
      arn: `arn:aws:iam::${this.cloud.accountId}:role${input.path}${input.name}`,
      path: input.path,
      createDate: now(),
      assumeRolePolicyDocument: input.assumeRolePolicyDocument,
      description: input.description,
      maxSessionDuration: input.maxSessionDuration,
      tags: input.tags,
      inlinePolicies: [],
      attachedPolicyArns: [],
    };
    this.roles.set(role.name.toLowerCase(), role);
    this.inForce.changed(role, undefined, AWS_TIMING.roleAssumable);
    this.changed();
    return role;
  }

  getRole(name: string): RoleRecord {
    const role = this.roles.get(name.toLowerCase());
    if (!role) throw iamErrors.noSuchRole(name);
    return role;
  }

  /** Like AWS, a role with policies cannot be deleted: detach and delete them first. */
  deleteRole(name: string): void {
    const role = this.getRole(name);
    if (role.attachedPolicyArns.length > 0) throw iamErrors.roleHasAttachedPolicies();
    if (role.inlinePolicies.length > 0) throw iamErrors.roleHasInlinePolicies();
    this.roles.delete(name.toLowerCase());
    this.inForce.deleted(name);
    this.changed();
  }

  listRoles(pathPrefix: string, marker: string | undefined, maxItems: number): Page<RoleRecord> {
    const roles = [...this.roles.values()].filter((r) => r.path.startsWith(pathPrefix)).sort(byKey((r) => r.name));
    return paginate(roles, (r) => r.name, marker, maxItems);
  }

  updateRole(name: string, changes: { description?: string; maxSessionDuration?: number }): void {
    const role = this.getRole(name);
    if (changes.description !== undefined) role.description = changes.description;
    if (changes.maxSessionDuration !== undefined) role.maxSessionDuration = changes.maxSessionDuration;
    this.changed();
  }

  updateAssumeRolePolicy(name: string, document: string): void {
    const role = this.getRole(name);
    this.checkTrustPolicy(document);
    const before = versionOf(role);
    role.assumeRolePolicyDocument = document;
    this.inForce.changed(role, before, AWS_TIMING.roleAssumable);
    this.changed();
  }

  tagRole(name: string, tags: Tag[]): void {
    const role = this.getRole(name);
    const merged = new Map(role.tags.map((t) => [t.Key, t]));
    for (const tag of tags) merged.set(tag.Key, tag);
    if (merged.size > 50) throw iamErrors.limitExceeded('The number of tags has reached the maximum limit.');
    role.tags = [...merged.values()];
    this.changed();
  }

  untagRole(name: string, keys: string[]): void {
    const role = this.getRole(name);
    role.tags = role.tags.filter((t) => !keys.includes(t.Key));
    this.changed();
  }

  // ---- inline policies -----------------------------------------------------------------------

  putRolePolicy(roleName: string, policyName: string, document: string): void {
    const role = this.getRole(roleName);
    this.checkDocument(document, 'identity');
    const existing = this.findInlinePolicy(role, policyName);
    const others = role.inlinePolicies.filter((p) => p !== existing);
    const total = others.reduce((sum, p) => sum + policySize(p.document), policySize(document));
    if (total > INLINE_POLICY_QUOTA) {
      throw iamErrors.limitExceeded(`Maximum policy size of ${INLINE_POLICY_QUOTA} bytes exceeded for role ${role.name}`);
    }
    const before = versionOf(role);
    if (existing) existing.document = document;
    else role.inlinePolicies.push({ name: policyName, document });
    this.inForce.changed(role, before, AWS_TIMING.policyPropagation);
    this.changed();
  }

  getRolePolicy(roleName: string, policyName: string): { roleName: string; policyName: string; document: string } {
    const role = this.getRole(roleName);
    const policy = this.inlinePolicy(role, policyName);
    return { roleName: role.name, policyName: policy.name, document: policy.document };
  }

  deleteRolePolicy(roleName: string, policyName: string): void {
    const role = this.getRole(roleName);
    const policy = this.inlinePolicy(role, policyName);
    const before = versionOf(role);
    role.inlinePolicies = role.inlinePolicies.filter((p) => p !== policy);
    this.inForce.changed(role, before, AWS_TIMING.policyPropagation);
    this.changed();
  }

  listRolePolicies(roleName: string, marker: string | undefined, maxItems: number): Page<string> {
    const names = this.getRole(roleName).inlinePolicies.map((p) => p.name).sort();
    return paginate(names, (n) => n, marker, maxItems);
  }

  // ---- attached managed policies -------------------------------------------------------------

  attachRolePolicy(roleName: string, policyArn: string): void {
    const role = this.getRole(roleName);
    this.managed.checkArn(policyArn);
    if (!this.managed.exists(policyArn)) throw iamErrors.policyNotAttachable(policyArn);
    if (role.attachedPolicyArns.includes(policyArn)) return; // attaching twice is harmless in IAM
    if (role.attachedPolicyArns.length >= ATTACHED_POLICIES_QUOTA) {
      throw iamErrors.limitExceeded(`Cannot exceed quota for PoliciesPerRole: ${ATTACHED_POLICIES_QUOTA}`);
    }
    const before = versionOf(role);
    role.attachedPolicyArns.push(policyArn);
    this.inForce.changed(role, before, AWS_TIMING.policyPropagation);
    this.changed();
  }

  detachRolePolicy(roleName: string, policyArn: string): void {
    const role = this.getRole(roleName);
    this.managed.checkArn(policyArn);
    if (!role.attachedPolicyArns.includes(policyArn)) throw iamErrors.policyNotFound(policyArn);
    const before = versionOf(role);
    role.attachedPolicyArns = role.attachedPolicyArns.filter((arn) => arn !== policyArn);
    this.inForce.changed(role, before, AWS_TIMING.policyPropagation);
    this.changed();
  }

  listAttachedRolePolicies(roleName: string, pathPrefix: string, marker: string | undefined, maxItems: number): Page<AttachedPolicy> {
    const role = this.getRole(roleName);
    const attached = role.attachedPolicyArns
      .map((arn) => ({ name: this.managed.nameOf(arn), arn }))
      .filter((p) => policyPathOf(p.arn).startsWith(pathPrefix))
      .sort(byKey((p) => p.name));
    return paginate(attached, (p) => p.name, marker, maxItems);
  }

  // ---- for other services (Lambda, and enforcement) ------------------------------------------

  roleByArn(arn: string): RoleRecord | undefined {
    const name = /^arn:aws:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
    const role = name ? this.roles.get(name.toLowerCase()) : undefined;
    return role && role.arn === arn ? role : undefined;
  }

  /**
   * Whether the role's trust policy lets `service` (e.g. "lambda.amazonaws.com") assume it.
   * `context` carries what the service would send along, such as aws:SourceAccount.
   */
  roleTrusts(roleArn: string, service: string, context: Record<string, ContextValue | undefined> = {}): boolean {
    const role = this.versionInForce(roleArn);
    if (!role) return false;
    const request: EvaluationRequest = {
      action: 'sts:AssumeRole',
      resource: role.arn,
      principal: { type: 'Service', service },
      context,
    };
    return evaluate(request, [], this.parse(role.trust)).decision === 'Allow';
  }

  /**
   * The parsed documents of the role's inline policies and attached managed policies ([] for no
   * such role), as they are in force: under the realism profile a change decides only once it
   * has propagated, and a role too new to be known allows nothing.
   */
  identityPolicies(roleArn: string): Policy[] {
    const role = this.versionInForce(roleArn);
    if (!role) return [];
    const attached = role.attached.map((arn) => this.managed.defaultDocument(arn)).filter((d) => d !== undefined);
    return [...role.inline, ...attached].map((doc) => this.parse(doc));
  }

  /** The role as it decides calls now (see in-force.ts); undefined for no such role, or one not yet known. */
  private versionInForce(roleArn: string): RoleVersion | undefined {
    const role = this.roleByArn(roleArn);
    return role ? this.inForce.inForce(role) : undefined;
  }

  /** Evaluates a request made with the role's credentials, optionally against a resource policy. */
  evaluateRole(roleArn: string, request: EvaluationRequest, resourcePolicy?: PolicyInput): EvaluationResult {
    return evaluate(request, this.identityPolicies(roleArn), resourcePolicy);
  }

  // ---- internals -----------------------------------------------------------------------------

  private findInlinePolicy(role: RoleRecord, policyName: string): InlinePolicyRecord | undefined {
    return role.inlinePolicies.find((p) => p.name.toLowerCase() === policyName.toLowerCase());
  }

  private inlinePolicy(role: RoleRecord, policyName: string): InlinePolicyRecord {
    const policy = this.findInlinePolicy(role, policyName);
    if (!policy) throw iamErrors.noSuchRolePolicy(policyName);
    return policy;
  }

  private attachmentCount(arn: string): number {
    let count = 0;
    for (const role of this.roles.values()) if (role.attachedPolicyArns.includes(arn)) count++;
    return count;
  }

  private checkTrustPolicy(document: string): void {
    this.checkDocument(document, 'trust');
    if (policySize(document) > TRUST_POLICY_QUOTA) {
      throw iamErrors.limitExceeded(`Cannot exceed quota for ACLSizePerRole: ${TRUST_POLICY_QUOTA}`);
    }
  }

  /** Validates with IAM's MalformedPolicyDocument messages; public for CreatePolicy. */
  checkDocument(document: string, kind: DocumentKind): void {
    try {
      this.parsed.set(
        document,
        parsePolicyDocument(document, kind, {
          accountId: this.cloud.accountId,
          partition: partitionOfRegion(this.cloud.region),
          principalExists: (arn) => this.roleByArn(arn) !== undefined,
        }),
      );
    } catch (err) {
      if (err instanceof PolicyDocumentError) throw iamErrors.malformedPolicy(err.message);
      throw err;
    }
  }

  private parse(document: string): Policy {
    let policy = this.parsed.get(document);
    if (!policy) {
      policy = normalizePolicy(document);
      this.parsed.set(document, policy);
    }
    return policy;
  }

  private changed(): void {
    this.cloud.store.markDirty(STATE);
  }
}

/** The path part of a managed policy ARN: arn:aws:iam::aws:policy/service-role/X → /service-role/ */
function policyPathOf(arn: string): string {
  const resource = arn.slice(arn.indexOf(':policy') + ':policy'.length);
  return resource.slice(0, resource.lastIndexOf('/') + 1);
}
