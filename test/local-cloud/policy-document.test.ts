import { describe, expect, it } from 'vitest';
import { denialMessage, parsePolicyDocument, PolicyDocumentError, wildcardMatch } from '../../local-cloud/iam/policy/index.ts';

const ACCOUNT = '000000000000';

function problem(document: unknown, kind: 'identity' | 'trust', options = {}): string | undefined {
  try {
    parsePolicyDocument(typeof document === 'string' ? document : JSON.stringify(document), kind, options);
    return undefined;
  } catch (err) {
    if (err instanceof PolicyDocumentError) return err.message;
    throw err;
  }
}

describe('policy documents: what IAM accepts', () => {
  it.each([
    ['single statement object, single values', { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' } }],
    ['no Version (defaults to 2008-10-17)', { Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] }],
    ['Version 2008-10-17', { Version: '2008-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] }],
    ['NotAction and NotResource', { Statement: [{ Effect: 'Deny', NotAction: 'iam:*', NotResource: 'arn:aws:sqs:*:*:*' }] }],
    ['conditions with every operator family', {
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: '*',
          Condition: {
            ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:*' },
            StringEqualsIfExists: { 'aws:SourceAccount': ACCOUNT },
            'ForAnyValue:StringLike': { 'aws:TagKeys': ['a*'] },
            NumericLessThan: { 'k:n': 5 },
            Bool: { 'aws:SecureTransport': true },
            Null: { 'aws:SourceVpc': 'true' },
          },
        },
      ],
    }],
  ])('identity: %s', (_label, document) => {
    expect(problem(document, 'identity')).toBeUndefined();
  });

  it('returns the normalized policy', () => {
    const policy = parsePolicyDocument(
      JSON.stringify({ Version: '2012-10-17', Id: 'x', Statement: { Sid: 'S', Effect: 'Deny', Action: 'sqs:*', Resource: ['*'], Condition: { NumericEquals: { 'k:n': 1 } } } }),
      'identity',
    );
    expect(policy).toEqual({
      version: '2012-10-17',
      id: 'x',
      statements: [{ sid: 'S', effect: 'Deny', action: ['sqs:*'], resource: ['*'], condition: { NumericEquals: { 'k:n': ['1'] } } }],
    });
  });

  it('trust: a role principal is accepted only if the role exists in this account', () => {
    const trust = (arn: string) => ({ Statement: [{ Effect: 'Allow', Principal: { AWS: arn }, Action: 'sts:AssumeRole' }] });
    const options = { accountId: ACCOUNT, principalExists: (arn: string) => arn.endsWith('/known') };
    expect(problem(trust(`arn:aws:iam::${ACCOUNT}:role/known`), 'trust', options)).toBeUndefined();
    expect(problem(trust(`arn:aws:iam::${ACCOUNT}:role/unknown`), 'trust', options)).toBe(
      `Invalid principal in policy: "AWS":"arn:aws:iam::${ACCOUNT}:role/unknown"`,
    );
    expect(problem(trust('arn:aws:iam::111122223333:role/elsewhere'), 'trust', options)).toBeUndefined();
    expect(problem(trust('not-an-arn'), 'trust', options)).toBe('Invalid principal in policy: "AWS":"not-an-arn"');
    expect(problem(trust('*'), 'trust', options)).toBeUndefined();
  });
});

describe('policy documents: IAM\'s MalformedPolicyDocument messages', () => {
  const allow = (extra: Record<string, unknown>) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...extra }] });
  it.each([
    ['identity', 'invalid JSON', '{', 'This policy contains invalid Json'],
    ['identity', 'a JSON array', '[]', 'Syntax errors in policy.'],
    ['identity', 'an empty Statement list', { Statement: [] }, 'Syntax errors in policy.'],
    ['identity', 'a statement that is a string', { Statement: ['Allow everything'] }, 'Syntax errors in policy.'],
    ['identity', 'an unknown top-level element', { Version: '2012-10-17', Statements: [] }, 'Syntax errors in policy.'],
    ['identity', 'an empty Action list', allow({ Action: [], Resource: '*' }), 'Syntax errors in policy.'],
    ['identity', 'a numeric Action', allow({ Action: 5, Resource: '*' }), 'Syntax errors in policy.'],
    ['identity', 'Resource and NotResource together', allow({ Action: '*', Resource: '*', NotResource: '*' }), 'Syntax errors in policy.'],
    ['identity', 'a Condition that is a list', allow({ Action: '*', Resource: '*', Condition: [] }), 'Syntax errors in policy.'],
    ['identity', 'a NotPrincipal', allow({ NotPrincipal: { AWS: ACCOUNT }, Action: '*', Resource: '*' }), 'Policy document should not specify a principal.'],
    ['identity', 'two colons in an action', allow({ Action: 'sqs:Send:Message', Resource: '*' }), 'Actions/Condition can contain only one colon.'],
    ['identity', 'a bad vendor', allow({ Action: 's q s:SendMessage', Resource: '*' }), 'Vendor s q s is not valid'],
    ['trust', 'a NotResource', allow({ Principal: '*', Action: 'sts:AssumeRole', NotResource: '*' }), 'Has prohibited field NotResource'],
    ['trust', 'a NotAction', allow({ Principal: '*', NotAction: 'sts:AssumeRole' }), 'AssumeRole policy may only specify STS AssumeRole actions.'],
    ['trust', 'an unknown principal type', allow({ Principal: { Robot: 'r2d2' }, Action: 'sts:AssumeRole' }), 'Syntax errors in policy.'],
  ])('%s document with %s', (kind, _label, document, message) => {
    expect(problem(document, kind as 'identity' | 'trust')).toBe(message);
  });
});

describe('denial messages, worded like AWS', () => {
  const principalArn = `arn:aws:sts::${ACCOUNT}:assumed-role/intake-role/workbook-intake`;
  const resource = `arn:aws:sqs:us-east-1:${ACCOUNT}:workbook-orders`;

  it('implicit deny: no identity-based policy allows the action', () => {
    expect(denialMessage({ principalArn, action: 'sqs:SendMessage', resource, result: { decision: 'ImplicitDeny' } })).toBe(
      `User: ${principalArn} is not authorized to perform: sqs:SendMessage on resource: ${resource} because no identity-based policy allows the sqs:SendMessage action`,
    );
  });

  it('explicit deny in an identity-based policy', () => {
    expect(
      denialMessage({ principalArn, action: 'sqs:SendMessage', resource, result: { decision: 'ExplicitDeny', deniedBy: 'identity' } }),
    ).toBe(`User: ${principalArn} is not authorized to perform: sqs:SendMessage on resource: ${resource} with an explicit deny in an identity-based policy`);
  });

  it('explicit deny in a resource-based policy; implicit deny blamed on a resource-based policy', () => {
    expect(
      denialMessage({ principalArn, action: 'sqs:SendMessage', resource, result: { decision: 'ExplicitDeny', deniedBy: 'resource' } }),
    ).toMatch(/with an explicit deny in a resource-based policy$/);
    expect(
      denialMessage({ principalArn, action: 'lambda:InvokeFunction', resource, result: { decision: 'ImplicitDeny' }, missingGrantIn: 'resource' }),
    ).toMatch(/because no resource-based policy allows the lambda:InvokeFunction action$/);
  });

  it('refuses to phrase an allowed request as a denial', () => {
    expect(() => denialMessage({ principalArn, action: 'sqs:SendMessage', resource, result: { decision: 'Allow' } })).toThrow();
  });
});

describe('wildcards', () => {
  it.each([
    ['*', '', true],
    ['a*', 'a*b', true],
    ['*b', 'ab', true],
    ['a*c*e', 'abcde', true],
    ['a*c*e', 'abcdf', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a.c', 'abc', false],
    ['arn:aws:sqs:*', 'arn:aws:sqs:us-east-1:1:q', true],
    ['(x)', '(x)', true],
  ])('%s vs %s → %s', (pattern, value, expected) => {
    expect(wildcardMatch(pattern, value)).toBe(expected);
  });
});
