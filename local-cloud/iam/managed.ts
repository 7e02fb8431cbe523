import { iamErrors } from './errors.ts';
import { AWS_MANAGED_POLICIES, awsManagedPolicy } from './managed-policies.ts';
import { byKey, now, paginate, policySize, uniqueId, type CustomerPolicyRecord, type Page } from './records.ts';
import type { Tag } from './validation.ts';

/** What GetPolicy / ListPolicies show, for AWS managed and customer managed policies alike. */
export interface ManagedPolicyView {
  name: string;
  id: string;
  arn: string;
  path: string;
  description?: string;
  defaultVersionId: string;
  attachmentCount: number;
  createDate: string;
  updateDate: string;
  tags: Tag[];
  awsManaged: boolean;
}

export interface PolicyVersionView {
  versionId: string;
  document: string;
  isDefaultVersion: boolean;
  createDate: string;
}

export interface ListPoliciesInput {
  scope: 'All' | 'AWS' | 'Local';
  onlyAttached: boolean;
  pathPrefix: string;
  marker?: string;
  maxItems: number;
}

const POLICY_ARN = /^arn:aws:iam::(aws|\d{12}):policy\/(.+)$/;
const MANAGED_POLICY_QUOTA = 6144;

/**
 * Managed policies: AWS's (read-only data) and the account's own (CreatePolicy). Attachment
 * counts come from the roles, which the caller supplies.
 */
export class ManagedPolicies {
  private readonly customer = new Map<string, CustomerPolicyRecord>();

  constructor(
    private readonly accountId: string,
    private readonly attachmentCount: (arn: string) => number,
    private readonly changed: () => void,
  ) {}

  load(records: CustomerPolicyRecord[]): void {
    for (const record of records) this.customer.set(record.arn, record);
  }

  snapshot(): CustomerPolicyRecord[] {
    return [...this.customer.values()];
  }

  /** Rejects strings that are not policy ARNs at all, as IAM does before looking anything up. */
  checkArn(arn: string): void {
    if (!POLICY_ARN.test(arn)) throw iamErrors.invalidArn(arn);
  }

  exists(arn: string): boolean {
    return awsManagedPolicy(arn) !== undefined || this.customer.has(arn);
  }

  nameOf(arn: string): string {
    return awsManagedPolicy(arn)?.name ?? this.customer.get(arn)?.name ?? arn.slice(arn.lastIndexOf('/') + 1);
  }

  /** The default version's document, or undefined for an unknown ARN. */
  defaultDocument(arn: string): string | undefined {
    const aws = awsManagedPolicy(arn);
    if (aws) return aws.document;
    const record = this.customer.get(arn);
    return record?.versions.find((v) => v.versionId === record.defaultVersionId)?.document;
  }

  get(arn: string): ManagedPolicyView {
    this.checkArn(arn);
    const view = this.view(arn);
    if (!view) throw iamErrors.policyNotFound(arn);
    return view;
  }

  version(arn: string, versionId: string): PolicyVersionView {
    this.checkArn(arn);
    const aws = awsManagedPolicy(arn);
    if (aws) {
      if (versionId !== aws.defaultVersionId) throw iamErrors.policyVersionNotFound(arn, versionId);
      return { versionId, document: aws.document, isDefaultVersion: true, createDate: aws.updateDate };
    }
    const record = this.customer.get(arn);
    if (!record) throw iamErrors.policyNotFound(arn);
    const version = record.versions.find((v) => v.versionId === versionId);
    if (!version) throw iamErrors.policyVersionNotFound(arn, versionId);
    return { ...version, isDefaultVersion: versionId === record.defaultVersionId };
  }

  create(input: { name: string; path: string; document: string; description?: string; tags: Tag[] }): ManagedPolicyView {
    const arn = `arn:aws:iam::${this.accountId}:policy${input.path}${input.name}`;
    const taken = [...this.customer.values()].some((p) => p.name.toLowerCase() === input.name.toLowerCase());
    if (taken) throw iamErrors.policyExists(input.name);
    if (policySize(input.document) > MANAGED_POLICY_QUOTA) {
      throw iamErrors.limitExceeded(`Cannot exceed quota for PolicySize: ${MANAGED_POLICY_QUOTA}`);
    }
    const created = now();
    this.customer.set(arn, {
      name: input.name,
      id: uniqueId('ANPA'),
      arn,
      path: input.path,
      description: input.description,
      createDate: created,
      updateDate: created,
      defaultVersionId: 'v1',
      versions: [{ versionId: 'v1', document: input.document, createDate: created }],
      tags: input.tags,
    });
    this.changed();
    return this.view(arn)!;
  }

  delete(arn: string): void {
    this.checkArn(arn);
    if (!this.customer.has(arn)) throw iamErrors.policyNotFound(arn);
    if (this.attachmentCount(arn) > 0) throw iamErrors.policyAttached();
    this.customer.delete(arn);
    this.changed();
  }

  list(input: ListPoliciesInput): Page<ManagedPolicyView> {
    const arns = [
      ...(input.scope === 'Local' ? [] : AWS_MANAGED_POLICIES.map((p) => p.arn)),
      ...(input.scope === 'AWS' ? [] : [...this.customer.keys()]),
    ];
    const views = arns
      .map((arn) => this.view(arn)!)
      .filter((p) => p.path.startsWith(input.pathPrefix))
      .filter((p) => !input.onlyAttached || p.attachmentCount > 0)
      .sort(byKey((p) => p.name));
    return paginate(views, (p) => p.name, input.marker, input.maxItems);
  }

  private view(arn: string): ManagedPolicyView | undefined {
    const aws = awsManagedPolicy(arn);
    if (aws) {
      return {
        name: aws.name,
        id: aws.policyId,
        arn,
        path: aws.path,
        description: aws.description,
        defaultVersionId: aws.defaultVersionId,
        attachmentCount: this.attachmentCount(arn),
        createDate: aws.createDate,
        updateDate: aws.updateDate,
        tags: [],
        awsManaged: true,
      };
    }
    const record = this.customer.get(arn);
    if (!record) return undefined;
    return {
      name: record.name,
      id: record.id,
      arn,
      path: record.path,
      description: record.description,
      defaultVersionId: record.defaultVersionId,
      attachmentCount: this.attachmentCount(arn),
      createDate: record.createDate,
      updateDate: record.updateDate,
      tags: record.tags,
      awsManaged: false,
    };
  }
}
