import { describe, expect, it } from 'vitest';
import { evaluate, type EvaluationRequest, type RequestPrincipal } from '../../local-cloud/iam/policy/index.ts';

const ACCOUNT = '000000000000';
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:orders`;
const OTHER_QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:other`;
const FUNCTION = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:intake`;
const API = `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/*/POST/orders`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/intake-role`;
const SESSION: RequestPrincipal = {
  type: 'AWS',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/intake-role/intake`,
  account: ACCOUNT,
  roleArn: ROLE,
};

const send = (overrides: Partial<EvaluationRequest> = {}): EvaluationRequest => ({
  action: 'sqs:SendMessage',
  resource: QUEUE,
  principal: SESSION,
  ...overrides,
});

const allow = (statement: Record<string, unknown>) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', ...statement }],
});
const deny = (statement: Record<string, unknown>) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', ...statement }],
});

describe('policy evaluation: the basic rules', () => {
  const cases: Array<[string, EvaluationRequest, object[], object | undefined, string]> = [
    ['no policy at all: implicit deny', send(), [], undefined, 'ImplicitDeny'],
    ['identity allow on the exact ARN', send(), [allow({ Action: 'sqs:SendMessage', Resource: QUEUE })], undefined, 'Allow'],
    ['identity allow on another queue only', send(), [allow({ Action: 'sqs:SendMessage', Resource: OTHER_QUEUE })], undefined, 'ImplicitDeny'],
    ['identity allow of another action only', send(), [allow({ Action: 'sqs:ReceiveMessage', Resource: QUEUE })], undefined, 'ImplicitDeny'],
    [
      'explicit deny beats an allow in the same policy',
      send(),
      [{ Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }, { Effect: 'Deny', Action: 'sqs:SendMessage', Resource: QUEUE }] }],
      undefined,
      'ExplicitDeny',
    ],
    [
      'explicit deny in one policy beats an allow in another',
      send(),
      [allow({ Action: '*', Resource: '*' }), deny({ Action: 'sqs:Send*', Resource: '*' })],
      undefined,
      'ExplicitDeny',
    ],
    [
      'a deny that does not apply leaves the allow standing',
      send(),
      [allow({ Action: 'sqs:SendMessage', Resource: QUEUE }), deny({ Action: 'sqs:DeleteQueue', Resource: QUEUE })],
      undefined,
      'Allow',
    ],
    ['Statement may be a single object', send(), [{ Statement: { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE } }], undefined, 'Allow'],
    ['values may be arrays', send(), [allow({ Action: ['sqs:ReceiveMessage', 'sqs:SendMessage'], Resource: [OTHER_QUEUE, QUEUE] })], undefined, 'Allow'],
    ['a JSON string policy works too', send(), [JSON.stringify(allow({ Action: 'sqs:SendMessage', Resource: QUEUE }))] as unknown as object[], undefined, 'Allow'],
    ['effect is case-insensitive', send(), [{ Statement: [{ Effect: 'allow', Action: 'sqs:SendMessage', Resource: QUEUE }] }], undefined, 'Allow'],
    ['a statement with an unknown Effect grants nothing', send(), [{ Statement: [{ Effect: 'Permit', Action: '*', Resource: '*' }] }], undefined, 'ImplicitDeny'],
    ['an identity statement without Resource grants nothing', send(), [{ Statement: [{ Effect: 'Allow', Action: '*' }] }], undefined, 'ImplicitDeny'],
  ];
  it.each(cases)('%s', (_name, request, identity, resource, expected) => {
    expect(evaluate(request, identity as Record<string, unknown>[], resource as Record<string, unknown> | undefined).decision).toBe(expected);
  });
});

describe('policy evaluation: Action / NotAction', () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['"*" matches any action', { Action: '*' }, 'sqs:SendMessage', 'Allow'],
    ['service wildcard', { Action: 'sqs:*' }, 'sqs:SendMessage', 'Allow'],
    ['prefix wildcard', { Action: 'sqs:Send*' }, 'sqs:SendMessageBatch', 'Allow'],
    ['? matches exactly one character', { Action: 'sqs:SendMessag?' }, 'sqs:SendMessage', 'Allow'],
    ['? does not match two characters', { Action: 'sqs:SendMessa?' }, 'sqs:SendMessage', 'ImplicitDeny'],
    ['actions compare case-insensitively', { Action: 'SQS:sendmessage' }, 'sqs:SendMessage', 'Allow'],
    ['other service does not match', { Action: 'sns:*' }, 'sqs:SendMessage', 'ImplicitDeny'],
    ['NotAction allows everything else', { NotAction: 'sqs:DeleteQueue' }, 'sqs:SendMessage', 'Allow'],
    ['NotAction does not allow the listed action', { NotAction: 'sqs:DeleteQueue' }, 'sqs:DeleteQueue', 'ImplicitDeny'],
    ['NotAction with a wildcard', { NotAction: ['iam:*', 'sqs:Delete*'] }, 'sqs:DeleteMessage', 'ImplicitDeny'],
  ];
  it.each(cases)('%s', (_name, statement, action, expected) => {
    expect(evaluate(send({ action }), [allow({ Resource: '*', ...statement })]).decision).toBe(expected);
  });

  it('Deny with NotAction denies everything except the listed actions', () => {
    const policies = [allow({ Action: '*', Resource: '*' }), deny({ NotAction: 'sqs:ReceiveMessage', Resource: '*' })];
    expect(evaluate(send({ action: 'sqs:SendMessage' }), policies).decision).toBe('ExplicitDeny');
    expect(evaluate(send({ action: 'sqs:ReceiveMessage' }), policies).decision).toBe('Allow');
  });
});

describe('policy evaluation: Resource / NotResource', () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['"*" matches any resource', { Resource: '*' }, QUEUE, 'Allow'],
    ['wildcard in the name', { Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:ord*` }, QUEUE, 'Allow'],
    ['wildcard region and account', { Resource: 'arn:aws:sqs:*:*:orders' }, QUEUE, 'Allow'],
    ['? in a resource', { Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:orde?s` }, QUEUE, 'Allow'],
    ['resources compare case-sensitively', { Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:ORDERS` }, QUEUE, 'ImplicitDeny'],
    ['a longer ARN does not match without a wildcard', { Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:order` }, QUEUE, 'ImplicitDeny'],
    ['* spans slashes', { Resource: `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/*` }, API, 'Allow'],
    ['NotResource allows other resources', { NotResource: OTHER_QUEUE }, QUEUE, 'Allow'],
    ['NotResource does not allow the listed one', { NotResource: QUEUE }, QUEUE, 'ImplicitDeny'],
    ['NotResource with a wildcard', { NotResource: 'arn:aws:sqs:*' }, QUEUE, 'ImplicitDeny'],
  ];
  it.each(cases)('%s', (_name, statement, resource, expected) => {
    expect(evaluate(send({ resource }), [allow({ Action: 'sqs:SendMessage', ...statement })]).decision).toBe(expected);
  });

  it('an action without a resource ("*") is only matched by Resource "*"', () => {
    const request = send({ action: 'sqs:ListQueues', resource: '*' });
    expect(evaluate(request, [allow({ Action: 'sqs:ListQueues', Resource: QUEUE })]).decision).toBe('ImplicitDeny');
    expect(evaluate(request, [allow({ Action: 'sqs:ListQueues', Resource: '*' })]).decision).toBe('Allow');
  });
});

describe('policy evaluation: resource-based policies and principals', () => {
  const invoke = (principal: RequestPrincipal | undefined, context: EvaluationRequest['context'] = {}): EvaluationRequest => ({
    action: 'lambda:InvokeFunction',
    resource: FUNCTION,
    principal,
    context,
  });
  const apigw: RequestPrincipal = { type: 'Service', service: 'apigateway.amazonaws.com' };
  const resourcePolicy = (principal: unknown, extra: Record<string, unknown> = {}) => ({
    Version: '2012-10-17',
    Id: 'default',
    Statement: [{ Sid: 'api', Effect: 'Allow', Principal: principal, Action: 'lambda:InvokeFunction', Resource: FUNCTION, ...extra }],
  });

  const cases: Array<[string, RequestPrincipal | undefined, unknown, string]> = [
    ['service principal allowed by the resource policy alone', apigw, { Service: 'apigateway.amazonaws.com' }, 'Allow'],
    ['service names compare case-insensitively', apigw, { Service: 'APIGateway.amazonaws.com' }, 'Allow'],
    ['another service is not allowed', { type: 'Service', service: 'sns.amazonaws.com' }, { Service: 'apigateway.amazonaws.com' }, 'ImplicitDeny'],
    ['Principal "*" allows anyone', apigw, '*', 'Allow'],
    ['{"AWS": "*"} allows anyone, services included', apigw, { AWS: '*' }, 'Allow'],
    ['Principal "*" allows an anonymous caller', undefined, '*', 'Allow'],
    ['a named service does not allow an anonymous caller', undefined, { Service: 'apigateway.amazonaws.com' }, 'ImplicitDeny'],
    ['a role ARN allows that role\'s sessions', SESSION, { AWS: ROLE }, 'Allow'],
    ['the session ARN itself', SESSION, { AWS: SESSION.type === 'AWS' ? SESSION.arn : '' }, 'Allow'],
    ['another role is not allowed', SESSION, { AWS: `arn:aws:iam::${ACCOUNT}:role/other` }, 'ImplicitDeny'],
    ['an account principal alone delegates to identity policies (none here)', SESSION, { AWS: ACCOUNT }, 'ImplicitDeny'],
    ['a root ARN principal is the account too', SESSION, { AWS: `arn:aws:iam::${ACCOUNT}:root` }, 'ImplicitDeny'],
    ['a service principal does not match {"AWS": ACCOUNT}', apigw, { AWS: ACCOUNT }, 'ImplicitDeny'],
    ['several principal types, one matches', apigw, { AWS: ROLE, Service: ['sns.amazonaws.com', 'apigateway.amazonaws.com'] }, 'Allow'],
  ];
  it.each(cases)('%s', (_name, principal, policyPrincipal, expected) => {
    expect(evaluate(invoke(principal), [], resourcePolicy(policyPrincipal)).decision).toBe(expected);
  });

  it('an account principal plus an identity allow is allowed', () => {
    const identity = [allow({ Action: 'lambda:InvokeFunction', Resource: FUNCTION })];
    expect(evaluate(invoke(SESSION), identity, resourcePolicy({ AWS: ACCOUNT })).decision).toBe('Allow');
  });

  it('an identity allow suffices when the resource policy names someone else (same account)', () => {
    const identity = [allow({ Action: 'lambda:InvokeFunction', Resource: FUNCTION })];
    const result = evaluate(invoke(SESSION), identity, resourcePolicy({ Service: 'sns.amazonaws.com' }));
    expect(result.decision).toBe('Allow');
    expect(result.matchedStatements).toEqual([expect.objectContaining({ source: 'identity', effect: 'Allow' })]);
  });

  it('a Deny in the resource policy beats an identity allow', () => {
    const identity = [allow({ Action: '*', Resource: '*' })];
    const policy = { Statement: [{ Effect: 'Deny', Principal: '*', Action: 'lambda:*', Resource: FUNCTION }] };
    const result = evaluate(invoke(SESSION), identity, policy);
    expect(result).toMatchObject({ decision: 'ExplicitDeny', deniedBy: 'resource' });
  });

  it('identity policies ignore the principal; a resource statement without Principal applies to no one', () => {
    const policy = { Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: FUNCTION }] };
    expect(evaluate(invoke(apigw), [], policy).decision).toBe('ImplicitDeny');
  });

  it('NotPrincipal applies to everyone except the listed principals', () => {
    const policy = {
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunction', Resource: FUNCTION },
        { Effect: 'Deny', NotPrincipal: { Service: 'apigateway.amazonaws.com' }, Action: 'lambda:InvokeFunction', Resource: FUNCTION },
      ],
    };
    expect(evaluate(invoke(apigw), [], policy).decision).toBe('Allow');
    expect(evaluate(invoke({ type: 'Service', service: 'sns.amazonaws.com' }), [], policy).decision).toBe('ExplicitDeny');
  });

  it('a trust policy (no Resource element) covers the role it belongs to', () => {
    const trust = { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    const assume = (service: string) =>
      evaluate({ action: 'sts:AssumeRole', resource: ROLE, principal: { type: 'Service', service } }, [], trust).decision;
    expect(assume('lambda.amazonaws.com')).toBe('Allow');
    expect(assume('ec2.amazonaws.com')).toBe('ImplicitDeny');
  });

  it('the AddPermission shape with an ArnLike SourceArn condition', () => {
    const policy = resourcePolicy(
      { Service: 'apigateway.amazonaws.com' },
      { Condition: { ArnLike: { 'AWS:SourceArn': `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/*/POST/orders` } } },
    );
    const from = (sourceArn?: string) => evaluate(invoke(apigw, { 'aws:SourceArn': sourceArn }), [], policy).decision;
    expect(from(`arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/prod/POST/orders`)).toBe('Allow');
    expect(from(`arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/prod/GET/orders`)).toBe('ImplicitDeny');
    expect(from(`arn:aws:execute-api:us-east-1:${ACCOUNT}:zzz999/prod/POST/orders`)).toBe('ImplicitDeny');
    expect(from(undefined)).toBe('ImplicitDeny');
  });

  it('derives aws:PrincipalArn and aws:PrincipalAccount from the caller', () => {
    const identity = [
      allow({ Action: 'sqs:SendMessage', Resource: QUEUE, Condition: { ArnEquals: { 'aws:PrincipalArn': ROLE }, StringEquals: { 'aws:PrincipalAccount': ACCOUNT } } }),
    ];
    expect(evaluate(send(), identity).decision).toBe('Allow');
    const other: RequestPrincipal = { type: 'AWS', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/x/y`, account: ACCOUNT, roleArn: `arn:aws:iam::${ACCOUNT}:role/x` };
    expect(evaluate(send({ principal: other }), identity).decision).toBe('ImplicitDeny');
  });
});

describe('policy evaluation: condition operators', () => {
  // [name, Condition block, request context, expected]
  type Case = [string, Record<string, unknown>, Record<string, unknown>, 'Allow' | 'ImplicitDeny'];
  const cases: Case[] = [
    ['StringEquals match', { StringEquals: { 'aws:SourceAccount': ACCOUNT } }, { 'aws:SourceAccount': ACCOUNT }, 'Allow'],
    ['StringEquals mismatch', { StringEquals: { 'aws:SourceAccount': ACCOUNT } }, { 'aws:SourceAccount': '111122223333' }, 'ImplicitDeny'],
    ['StringEquals is case-sensitive in values', { StringEquals: { 'k:a': 'Orders' } }, { 'k:a': 'orders' }, 'ImplicitDeny'],
    ['StringEquals missing key', { StringEquals: { 'aws:SourceAccount': ACCOUNT } }, {}, 'ImplicitDeny'],
    ['condition keys are case-insensitive', { StringEquals: { 'AWS:SOURCEACCOUNT': ACCOUNT } }, { 'aws:sourceaccount': ACCOUNT }, 'Allow'],
    ['several values are OR-ed', { StringEquals: { 'k:a': ['x', 'y', 'z'] } }, { 'k:a': 'y' }, 'Allow'],
    ['several keys are AND-ed (both hold)', { StringEquals: { 'k:a': 'x', 'k:b': 'y' } }, { 'k:a': 'x', 'k:b': 'y' }, 'Allow'],
    ['several keys are AND-ed (one fails)', { StringEquals: { 'k:a': 'x', 'k:b': 'y' } }, { 'k:a': 'x', 'k:b': 'n' }, 'ImplicitDeny'],
    ['several operators are AND-ed', { StringEquals: { 'k:a': 'x' }, StringLike: { 'k:b': 'y*' } }, { 'k:a': 'x', 'k:b': 'nope' }, 'ImplicitDeny'],
    ['StringNotEquals match', { StringNotEquals: { 'k:a': 'x' } }, { 'k:a': 'y' }, 'Allow'],
    ['StringNotEquals mismatch', { StringNotEquals: { 'k:a': ['x', 'y'] } }, { 'k:a': 'y' }, 'ImplicitDeny'],
    ['StringNotEquals missing key holds', { StringNotEquals: { 'k:a': 'x' } }, {}, 'Allow'],
    ['StringEqualsIgnoreCase', { StringEqualsIgnoreCase: { 'k:a': 'ORDERS' } }, { 'k:a': 'orders' }, 'Allow'],
    ['StringNotEqualsIgnoreCase', { StringNotEqualsIgnoreCase: { 'k:a': 'ORDERS' } }, { 'k:a': 'orders' }, 'ImplicitDeny'],
    ['StringLike *', { StringLike: { 'k:a': 'order-*' } }, { 'k:a': 'order-42' }, 'Allow'],
    ['StringLike ?', { StringLike: { 'k:a': 'order-??' } }, { 'k:a': 'order-4' }, 'ImplicitDeny'],
    ['StringNotLike match', { StringNotLike: { 'k:a': 'order-*' } }, { 'k:a': 'invoice-1' }, 'Allow'],
    ['StringNotLike mismatch', { StringNotLike: { 'k:a': 'order-*' } }, { 'k:a': 'order-1' }, 'ImplicitDeny'],
    ['StringNotLike missing key holds', { StringNotLike: { 'k:a': 'order-*' } }, {}, 'Allow'],
    ['ArnEquals exact', { ArnEquals: { 'aws:SourceArn': QUEUE } }, { 'aws:SourceArn': QUEUE }, 'Allow'],
    ['ArnEquals mismatch', { ArnEquals: { 'aws:SourceArn': QUEUE } }, { 'aws:SourceArn': OTHER_QUEUE }, 'ImplicitDeny'],
    ['ArnLike wildcard per part', { ArnLike: { 'aws:SourceArn': 'arn:aws:sqs:*:*:orders' } }, { 'aws:SourceArn': QUEUE }, 'Allow'],
    ['ArnLike: * in one part does not cross colons', { ArnLike: { 'aws:SourceArn': 'arn:aws:sqs:*:orders' } }, { 'aws:SourceArn': QUEUE }, 'ImplicitDeny'],
    ['ArnLike resource part with slashes', { ArnLike: { 'aws:SourceArn': `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/*` } }, { 'aws:SourceArn': API }, 'Allow'],
    ['ArnLike missing key', { ArnLike: { 'aws:SourceArn': '*' } }, {}, 'ImplicitDeny'],
    ['ArnLike "*" matches any present value', { ArnLike: { 'aws:SourceArn': '*' } }, { 'aws:SourceArn': QUEUE }, 'Allow'],
    ['ArnLike: a value that is not an ARN', { ArnLike: { 'aws:SourceArn': 'arn:aws:sqs:*:*:*' } }, { 'aws:SourceArn': 'orders' }, 'ImplicitDeny'],
    ['ArnNotEquals match', { ArnNotEquals: { 'aws:SourceArn': QUEUE } }, { 'aws:SourceArn': OTHER_QUEUE }, 'Allow'],
    ['ArnNotEquals mismatch', { ArnNotEquals: { 'aws:SourceArn': QUEUE } }, { 'aws:SourceArn': QUEUE }, 'ImplicitDeny'],
    ['ArnNotLike match', { ArnNotLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:*' } }, { 'aws:SourceArn': QUEUE }, 'Allow'],
    ['ArnNotLike mismatch', { ArnNotLike: { 'aws:SourceArn': 'arn:aws:sqs:*:*:*' } }, { 'aws:SourceArn': QUEUE }, 'ImplicitDeny'],
    ['ArnNotLike missing key holds', { ArnNotLike: { 'aws:SourceArn': 'arn:aws:sqs:*:*:*' } }, {}, 'Allow'],
    ['NumericEquals', { NumericEquals: { 'k:n': '10' } }, { 'k:n': 10 }, 'Allow'],
    ['NumericEquals mismatch', { NumericEquals: { 'k:n': '10' } }, { 'k:n': '11' }, 'ImplicitDeny'],
    ['NumericEquals non-number', { NumericEquals: { 'k:n': '10' } }, { 'k:n': 'ten' }, 'ImplicitDeny'],
    ['NumericNotEquals', { NumericNotEquals: { 'k:n': '10' } }, { 'k:n': '11' }, 'Allow'],
    ['NumericLessThan true', { NumericLessThan: { 'k:n': '10' } }, { 'k:n': '9' }, 'Allow'],
    ['NumericLessThan equal is false', { NumericLessThan: { 'k:n': '10' } }, { 'k:n': '10' }, 'ImplicitDeny'],
    ['NumericLessThanEquals equal', { NumericLessThanEquals: { 'k:n': '10' } }, { 'k:n': '10' }, 'Allow'],
    ['NumericGreaterThan true', { NumericGreaterThan: { 'k:n': '10' } }, { 'k:n': '10.5' }, 'Allow'],
    ['NumericGreaterThan equal is false', { NumericGreaterThan: { 'k:n': '10' } }, { 'k:n': '10' }, 'ImplicitDeny'],
    ['NumericGreaterThanEquals equal', { NumericGreaterThanEquals: { 'k:n': '10' } }, { 'k:n': '10' }, 'Allow'],
    ['NumericLessThan missing key', { NumericLessThan: { 'k:n': '10' } }, {}, 'ImplicitDeny'],
    ['DateLessThan', { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, { 'aws:CurrentTime': '2026-05-01T12:00:00Z' }, 'Allow'],
    ['DateGreaterThan with epoch seconds', { DateGreaterThan: { 'aws:EpochTime': '1000' } }, { 'aws:EpochTime': 2000 }, 'Allow'],
    ['Bool true', { Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': true }, 'Allow'],
    ['Bool false vs true', { Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': 'true' }, 'ImplicitDeny'],
    ['Bool missing key', { Bool: { 'aws:SecureTransport': 'true' } }, {}, 'ImplicitDeny'],
    ['Null true: key absent', { Null: { 'aws:SourceArn': 'true' } }, {}, 'Allow'],
    ['Null true: key present', { Null: { 'aws:SourceArn': 'true' } }, { 'aws:SourceArn': QUEUE }, 'ImplicitDeny'],
    ['Null false: key present', { Null: { 'aws:SourceArn': 'false' } }, { 'aws:SourceArn': QUEUE }, 'Allow'],
    ['Null false: key absent', { Null: { 'aws:SourceArn': 'false' } }, {}, 'ImplicitDeny'],
    ['IfExists: missing key holds', { StringEqualsIfExists: { 'k:a': 'x' } }, {}, 'Allow'],
    ['IfExists: present key is tested', { StringEqualsIfExists: { 'k:a': 'x' } }, { 'k:a': 'y' }, 'ImplicitDeny'],
    ['ArnLikeIfExists present and matching', { ArnLikeIfExists: { 'aws:SourceArn': 'arn:aws:sqs:*:*:*' } }, { 'aws:SourceArn': QUEUE }, 'Allow'],
    ['NumericLessThanIfExists missing', { NumericLessThanIfExists: { 'k:n': '1' } }, {}, 'Allow'],
    ['ForAnyValue: one of the request values matches', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'team'] } }, { 'aws:TagKeys': ['owner', 'team'] }, 'Allow'],
    ['ForAnyValue: none matches', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } }, { 'aws:TagKeys': ['owner'] }, 'ImplicitDeny'],
    ['ForAnyValue: missing key is false', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } }, {}, 'ImplicitDeny'],
    ['ForAllValues: all request values in the set', { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team'] } }, { 'aws:TagKeys': ['team', 'env'] }, 'Allow'],
    ['ForAllValues: one outside the set', { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } }, { 'aws:TagKeys': ['env', 'owner'] }, 'ImplicitDeny'],
    ['ForAllValues: missing key holds (vacuous)', { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } }, {}, 'Allow'],
    ['ForAllValues:StringLike', { 'ForAllValues:StringLike': { 'aws:TagKeys': ['workbook*'] } }, { 'aws:TagKeys': ['workbook', 'workbook-x'] }, 'Allow'],
    ['ForAnyValue:StringNotEquals', { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env'] } }, { 'aws:TagKeys': ['env', 'x'] }, 'Allow'],
    ['unknown operator never matches', { StringSortOf: { 'k:a': 'x' } }, { 'k:a': 'x' }, 'ImplicitDeny'],
    ['empty condition block holds', {}, {}, 'Allow'],
  ];
  it.each(cases)('%s', (_name, condition, context, expected) => {
    const policies = [allow({ Action: 'sqs:SendMessage', Resource: QUEUE, Condition: condition })];
    expect(evaluate(send({ context: context as EvaluationRequest['context'] }), policies).decision).toBe(expected);
  });

  it('a Deny with a condition only denies when the condition holds', () => {
    const policies = [
      allow({ Action: 'sqs:*', Resource: '*' }),
      deny({ Action: 'sqs:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ];
    expect(evaluate(send({ context: { 'aws:SecureTransport': 'false' } }), policies).decision).toBe('ExplicitDeny');
    expect(evaluate(send({ context: { 'aws:SecureTransport': 'true' } }), policies).decision).toBe('Allow');
    // Missing key: Bool does not hold, so the Deny does not apply (the classic reason to use ...IfExists or Null).
    expect(evaluate(send(), policies).decision).toBe('Allow');
  });
});

describe('policy evaluation: what the result says', () => {
  it('names the statements that decided', () => {
    const result = evaluate(send(), [
      { Statement: [{ Sid: 'Logs', Effect: 'Allow', Action: 'logs:*', Resource: '*' }] },
      { Statement: [{ Sid: 'Send', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE }] },
    ]);
    expect(result).toEqual({
      decision: 'Allow',
      matchedStatements: [{ source: 'identity', policyIndex: 1, statementIndex: 0, sid: 'Send', effect: 'Allow' }],
      reason: `sqs:SendMessage on ${QUEUE} is allowed by statement "Send" of identity-based policy #2.`,
    });
  });

  it('an explicit deny reports only the Deny statements and who denied', () => {
    const result = evaluate(send(), [allow({ Action: '*', Resource: '*' }), deny({ Sid: 'NoSend', Action: 'sqs:SendMessage', Resource: '*' })]);
    expect(result.decision).toBe('ExplicitDeny');
    expect(result.deniedBy).toBe('identity');
    expect(result.matchedStatements).toEqual([{ source: 'identity', policyIndex: 1, statementIndex: 0, sid: 'NoSend', effect: 'Deny' }]);
    expect(result.reason).toContain('explicitly denied by statement "NoSend"');
  });

  it('an implicit deny matches nothing and says so', () => {
    const result = evaluate(send(), [allow({ Action: 'logs:*', Resource: '*' })]);
    expect(result).toEqual({
      decision: 'ImplicitDeny',
      matchedStatements: [],
      reason: `No identity-based or resource-based policy allows sqs:SendMessage on ${QUEUE}.`,
    });
  });
});
