/**
 * The shapes of IAM policy documents and of the requests evaluated against them.
 *
 * Policy JSON allows a single value or an array almost everywhere ("Action": "s3:GetObject" or
 * ["s3:GetObject"]), and "Statement" may be one object or an array. `normalizePolicy` turns any of
 * those spellings into the one shape below, so the evaluator never has to ask again.
 */

export type Effect = 'Allow' | 'Deny';

/** A Principal / NotPrincipal element: "*" or a map of principal type to values. */
export type PrincipalElement = '*' | Record<string, string[]>;

/** Condition block: operator → condition key → values (OR-ed). */
export type ConditionBlock = Record<string, Record<string, string[]>>;

export interface Statement {
  sid?: string;
  effect: Effect;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  principal?: PrincipalElement;
  notPrincipal?: PrincipalElement;
  condition?: ConditionBlock;
}

export interface Policy {
  version?: string;
  id?: string;
  statements: Statement[];
}

/** Who makes the request. Identity policies do not look at it; resource policies match it against Principal. */
export type RequestPrincipal =
  | { type: 'Service'; service: string }
  | {
      type: 'AWS';
      /** e.g. arn:aws:sts::000000000000:assumed-role/ROLE/SESSION, or arn:aws:iam::000000000000:root */
      arn: string;
      account: string;
      /** For a role session: the role's ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME). */
      roleArn?: string;
    };

/** Condition context values: one value or several (a multivalued key such as aws:TagKeys). */
export type ContextValue = string | number | boolean | ReadonlyArray<string | number | boolean>;

export interface EvaluationRequest {
  /** service:Action, e.g. "sqs:SendMessage". */
  action: string;
  /** The resource ARN, or "*" for actions without a resource. */
  resource: string;
  /** Omitted for an anonymous request. */
  principal?: RequestPrincipal;
  /** Condition keys (aws:SourceArn, aws:SourceAccount…); names are case-insensitive. */
  context?: Record<string, ContextValue | undefined>;
}

export type PolicySource = 'identity' | 'resource';

export interface MatchedStatement {
  source: PolicySource;
  /** Index of the policy in the list it came from (0 for the resource policy). */
  policyIndex: number;
  statementIndex: number;
  sid?: string;
  effect: Effect;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface EvaluationResult {
  decision: Decision;
  /** The statements that applied to the request (Deny ones for an explicit deny, Allow ones for an allow). */
  matchedStatements: MatchedStatement[];
  /** Plain-language explanation of the decision. */
  reason: string;
  /** For an explicit deny: which kind of policy said no. */
  deniedBy?: PolicySource;
}
