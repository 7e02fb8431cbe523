import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreatePolicyCommand, CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { parsePolicyDocument, PolicyDocumentError } from '../../local-cloud/iam/policy/index.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/**
 * IAM refuses a permission policy whose Resource is not an ARN of the account's partition, with
 * the messages of its MalformedPolicyDocument errors (as recorded against IAM). The classic
 * mistake is a queue URL where the queue ARN belongs: accepted locally, refused on AWS.
 */
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/workbook-orders';
const LOCAL_QUEUE_URL = 'http://127.0.0.1:4566/000000000000/workbook-orders';
const QUEUE_URL_MESSAGE =
  'Partition "//sqs.us-east-1.amazonaws.com/000000000000/workbook-orders" is not valid for resource ' +
  '"arn://sqs.us-east-1.amazonaws.com/000000000000/workbook-orders:*:*:*:*".';

const policy = (resource: unknown) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: resource }] });

function problem(resource: unknown, partition?: string): string | undefined {
  try {
    parsePolicyDocument(policy(resource), 'identity', { partition });
    return undefined;
  } catch (err) {
    if (err instanceof PolicyDocumentError) return err.message;
    throw err;
  }
}

describe('policy Resource format (IAM wording)', () => {
  it.each([
    ['a queue URL', QUEUE_URL, QUEUE_URL_MESSAGE],
    [
      'a local queue URL with a port',
      LOCAL_QUEUE_URL,
      'Partition "//127.0.0.1" is not valid for resource "arn://127.0.0.1:4566/000000000000/workbook-orders:*:*:*".',
    ],
    ['a bare name', 'workbook-orders', 'Resource workbook-orders must be in ARN format or "*".'],
    ['an empty string', '', 'Resource  must be in ARN format or "*".'],
    ['one colon', 'a:bsdfdsafsad', 'Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".'],
    ['two colons', 'a:b:cadfsdf', 'Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".'],
    ['many fields', 'a:b:c:d:e:f:g:h', 'Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".'],
    ['an ARN without "arn:"', 'aws:s3:::example_bucket', 'Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".'],
    ['an unknown partition', 'arn:error:s3:::example_bucket', 'Partition "error" is not valid for resource "arn:error:s3:::example_bucket".'],
    ['no vendor', 'arn:aws', 'Resource vendor must be fully qualified and cannot contain regexes.'],
    ['a legacy-malformed ARN', 'arn:aws:s3::example_bucket', 'The policy failed legacy parsing'],
    ['an empty service', 'arn:aws::us-east-1:000000000000:x', 'The policy failed legacy parsing'],
    ['an IAM resource with a region', 'arn:aws:iam:us-east-1:000000000000:role/x', 'IAM resource arn:aws:iam:us-east-1:000000000000:role/x cannot contain region information.'],
    [
      'an IAM resource of no known type',
      'arn:aws:iam:::example_bucket',
      'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.',
    ],
    ['an S3 resource with a region', 'arn:aws:s3:us-east-1::bucket', 'Resource arn:aws:s3:us-east-1::bucket can not contain region information.'],
    ['the first bad entry of a list', ['arn:aws:sqs:us-east-1:000000000000:ok', 'adf'], 'Resource adf must be in ARN format or "*".'],
  ])('refuses %s', (_label, resource, message) => {
    expect(problem(resource)).toBe(message);
  });

  it.each([
    ['*', '*'],
    ['a queue ARN', 'arn:aws:sqs:us-east-1:000000000000:workbook-orders'],
    ['wildcards in every field', 'arn:*:sqs:*:*:*'],
    ['an S3 object ARN', 'arn:aws:s3:::bucket/key/*'],
    ['a policy variable', 'arn:aws:s3:::bucket/${aws:username}/*'],
    ['an IAM role ARN', 'arn:aws:iam::000000000000:role/service-role/x'],
    ['an S3 access point with a region', 'arn:aws:s3:us-east-1:000000000000:accesspoint/ap'],
    ['a log stream ARN', 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/f:*'],
  ])('accepts %s', (_label, resource) => {
    expect(problem(resource)).toBeUndefined();
  });

  it('reports a resource problem before a malformed action, as IAM does', () => {
    const doc = JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's:3:ListBucket', Resource: 'sdfsadf' } });
    expect(() => parsePolicyDocument(doc, 'identity')).toThrow('Resource sdfsadf must be in ARN format or "*".');
  });

  it('checks NotResource the same way', () => {
    const doc = JSON.stringify({ Statement: [{ Effect: 'Deny', NotAction: 'sqs:*', NotResource: QUEUE_URL }] });
    expect(() => parsePolicyDocument(doc, 'identity')).toThrow(QUEUE_URL_MESSAGE);
  });

  it('names the partition of the account: an aws ARN is refused in aws-cn', () => {
    const arn = 'arn:aws:sqs:cn-north-1:000000000000:q';
    expect(problem(arn, 'aws-cn')).toBe(`Partition "aws" is not valid for resource "${arn}".`);
    expect(problem('arn:aws-cn:sqs:cn-north-1:000000000000:q', 'aws-cn')).toBeUndefined();
  });

  it('stays within bounds on a huge or hostile resource', () => {
    expect(problem('x'.repeat(100_000))).toMatch(/^Resource x+ must be in ARN format/);
    expect(problem(':'.repeat(10_000))).toMatch(/^Partition "" is not valid for resource "arn:{10000}"\.$/);
    expect(problem('__proto__')).toBe('Resource __proto__ must be in ARN format or "*".');
    expect(problem('arn:__proto__:sqs:::q')).toMatch(/^Partition "__proto__" is not valid/);
  });
});

describe('over HTTP: PutRolePolicy and CreatePolicy refuse a queue URL', () => {
  let cloud: TestCloud;
  let iam: IAMClient;
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });

  beforeAll(async () => {
    cloud = await startTestCloud();
    iam = new IAMClient(cloud.clientConfig);
    await iam.send(new CreateRoleCommand({ RoleName: 'fidelity-role', AssumeRolePolicyDocument: trust }));
  });
  afterAll(() => cloud?.close());

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected MalformedPolicyDocument, the call succeeded');
      },
      (err: { name: string; message: string; $metadata: { httpStatusCode?: number } }) => ({
        name: err.name,
        message: err.message,
        status: err.$metadata.httpStatusCode,
      }),
    );

  it('SDK PutRolePolicy', async () => {
    const err = await refusal(
      iam.send(new PutRolePolicyCommand({ RoleName: 'fidelity-role', PolicyName: 'send', PolicyDocument: policy(QUEUE_URL) })),
    );
    expect(err).toEqual({ name: 'MalformedPolicyDocumentException', message: QUEUE_URL_MESSAGE, status: 400 });
  });

  it('SDK CreatePolicy', async () => {
    const err = await refusal(iam.send(new CreatePolicyCommand({ PolicyName: 'send', PolicyDocument: policy('workbook-orders') })));
    expect(err).toEqual({
      name: 'MalformedPolicyDocumentException',
      message: 'Resource workbook-orders must be in ARN format or "*".',
      status: 400,
    });
  });

  it('aws CLI put-role-policy', async () => {
    const out = await cloud.aws(
      'iam', 'put-role-policy', '--role-name', 'fidelity-role', '--policy-name', 'send', '--policy-document', policy(QUEUE_URL),
    );
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(`(MalformedPolicyDocument) when calling the PutRolePolicy operation: ${QUEUE_URL_MESSAGE}`);
  });

  it('still accepts the queue ARN', async () => {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'fidelity-role',
        PolicyName: 'send',
        PolicyDocument: policy('arn:aws:sqs:us-east-1:000000000000:workbook-orders'),
      }),
    );
  });
});
