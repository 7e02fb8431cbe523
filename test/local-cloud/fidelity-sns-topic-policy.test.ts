import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { createLambdaRole, deployFunction, payloadOf } from '../fixtures/lambda/helpers.ts';

/**
 * A topic's access policy decides calls as on AWS: within the account the caller's identity
 * policy OR the topic policy may allow, and an explicit Deny in the topic policy refuses even a
 * caller its identity policy allows; another account's topic answers AuthorizationError. A new
 * policy is checked with SNS's messages. Function code runs as its role (a real Lambda worker).
 */
const HANDLER = `
import { SNSClient, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
export const handler = async (event) => {
  const sns = new SNSClient({});
  try {
    if (event.op === 'subscribe') {
      await sns.send(new SubscribeCommand({ TopicArn: event.topicArn, Protocol: event.protocol, Endpoint: event.endpoint }));
    } else {
      await sns.send(new PublishCommand({ TopicArn: event.topicArn, Message: 'order 1 shipped' }));
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
};
`;

const ACCOUNT = '000000000000';
const ROLE = 'publisher-role';
const FUNCTION = 'publisher';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const CALLER = `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/${FUNCTION}`;
const topicArnOf = (name: string) => `arn:aws:sns:us-east-1:${ACCOUNT}:${name}`;

let cloud: TestCloud;
let sns: SNSClient;
let iam: IAMClient;
let lambda: LambdaClient;

beforeAll(async () => {
  cloud = await startTestCloud();
  sns = new SNSClient(cloud.clientConfig);
  iam = new IAMClient(cloud.clientConfig);
  lambda = new LambdaClient(cloud.clientConfig);
  await createLambdaRole(cloud, ROLE);
  await deployFunction(lambda, { FunctionName: FUNCTION, Role: ROLE_ARN, Handler: 'index.handler', files: { 'index.mjs': HANDLER } });
});
afterAll(() => cloud.close());

async function asRole(event: Record<string, string>) {
  const out = await lambda.send(new InvokeCommand({ FunctionName: FUNCTION, Payload: JSON.stringify(event) }));
  expect(out.FunctionError).toBeUndefined();
  return payloadOf(out);
}

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

const createTopic = async (name: string) => (await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn!;
const setPolicy = (topicArn: string, statements: Record<string, unknown>[]) =>
  sns.send(
    new SetTopicAttributesCommand({
      TopicArn: topicArn,
      AttributeName: 'Policy',
      AttributeValue: JSON.stringify({ Version: '2012-10-17', Statement: statements.map((s) => ({ Resource: topicArn, ...s })) }),
    }),
  );
const grant = (name: string, statement: Record<string, unknown>) =>
  iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: name, PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }) }));

const authorizationError = (message: string) => ({ ok: false, name: 'AuthorizationErrorException', status: 403, message });
const invalid = (message: string) => ({ name: 'InvalidParameterException', message, status: 400 });

describe('the topic policy within the account', () => {
  it('an Allow naming the role lets it publish without an identity grant; the default policy and an account principal do not', async () => {
    const topicArn = await createTopic('allow-by-topic-policy');
    const noGrant = authorizationError(
      `User: ${CALLER} is not authorized to perform: SNS:Publish on resource: ${topicArn} because no identity-based policy allows the SNS:Publish action`,
    );
    // The default policy's statement needs AWS:SourceOwner, which a direct caller does not carry.
    expect(await asRole({ topicArn })).toEqual(noGrant);
    // Naming the account delegates to it: the role's own policies must still allow.
    await setPolicy(topicArn, [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'SNS:Publish' }]);
    expect(await asRole({ topicArn })).toEqual(noGrant);
    await setPolicy(topicArn, [{ Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: 'SNS:Publish' }]);
    expect(await asRole({ topicArn })).toEqual({ ok: true });
  });

  it('an explicit Deny in the topic policy refuses what the identity policy allows, conditions included', async () => {
    const topicArn = await createTopic('deny-by-topic-policy');
    await grant('sns', { Effect: 'Allow', Action: ['sns:Publish', 'sns:Subscribe'], Resource: topicArn });
    expect(await asRole({ topicArn })).toEqual({ ok: true });

    await setPolicy(topicArn, [
      { Sid: 'owner', Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: 'SNS:GetTopicAttributes' },
      { Sid: 'no-publish', Effect: 'Deny', Principal: { AWS: ROLE_ARN }, Action: 'SNS:Publish' },
      { Sid: 'no-email', Effect: 'Deny', Principal: '*', Action: 'SNS:Subscribe', Condition: { StringEquals: { 'sns:Protocol': 'email' } } },
    ]);
    expect(await asRole({ topicArn })).toEqual(
      authorizationError(
        `User: ${CALLER} is not authorized to perform: SNS:Publish on resource: ${topicArn} with an explicit deny in a resource-based policy`,
      ),
    );
    expect(await asRole({ op: 'subscribe', topicArn, protocol: 'email', endpoint: 'ops@example.com' })).toEqual(
      authorizationError(
        `User: ${CALLER} is not authorized to perform: SNS:Subscribe on resource: ${topicArn} with an explicit deny in a resource-based policy`,
      ),
    );
    expect(await asRole({ op: 'subscribe', topicArn, protocol: 'email-json', endpoint: 'ops@example.com' })).toEqual({ ok: true });
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: 'sns' }));
  });
});

describe('a topic of another account', () => {
  it('answers AuthorizationError (no resource-based policy allows), not NotFound, even to the account admin', async () => {
    const foreign = 'arn:aws:sns:us-east-1:111122223333:orders';
    const refused = (action: string) => ({
      name: 'AuthorizationErrorException',
      status: 403,
      message: `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: SNS:${action} on resource: ${foreign} because no resource-based policy allows the SNS:${action} action`,
    });
    expect(await failure(sns.send(new PublishCommand({ TopicArn: foreign, Message: 'hello' })))).toEqual(refused('Publish'));
    expect(await failure(sns.send(new GetTopicAttributesCommand({ TopicArn: foreign })))).toEqual(refused('GetTopicAttributes'));
    expect(await failure(sns.send(new SubscribeCommand({ TopicArn: foreign, Protocol: 'email', Endpoint: 'ops@example.com' })))).toEqual(
      refused('Subscribe'),
    );
  });
});

describe('checking a new policy', () => {
  it('SetTopicAttributes and CreateTopic refuse what SNS refuses, in its words, and keep the policy in force', async () => {
    const topicArn = await createTopic('checked-policy');
    const doc = (statement: Record<string, unknown>, top: Record<string, unknown> = {}) =>
      JSON.stringify({ Version: '2012-10-17', ...top, Statement: [{ Effect: 'Allow', Principal: '*', Action: 'SNS:Publish', Resource: topicArn, ...statement }] });
    const set = (value: string) => sns.send(new SetTopicAttributesCommand({ TopicArn: topicArn, AttributeName: 'Policy', AttributeValue: value }));
    const good = doc({ Principal: { AWS: [ROLE_ARN, '111122223333'], Service: 'events.amazonaws.com' }, Action: ['SNS:Publish', 'sns:Get*'] });
    await set(good);

    const nullError = invalid('Invalid parameter: Policy Error: null');
    const cases: Array<[string, string, ReturnType<typeof invalid>]> = [
      ['empty', '', nullError],
      ['not JSON', '{nope', nullError],
      ['a list', '[]', nullError],
      ['no statements', JSON.stringify({ Version: '2012-10-17', Statement: [] }), nullError],
      ['no principal', JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'SNS:Publish', Resource: topicArn }] }), nullError],
      ['no resource', JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 'SNS:Publish' }] }), nullError],
      ['another topic', doc({ Resource: topicArnOf('other') }), nullError],
      ['a bad effect', doc({ Effect: 'Maybe' }), nullError],
      ['an unknown operator', doc({ Condition: { StringSortOf: { 'aws:SourceArn': 'x' } } }), nullError],
      ['__proto__ at the top', doc({}, { ['__proto__']: { Statement: [] } }), nullError],
      ['__proto__ in a statement', doc({ ['__proto__']: 'x' }), nullError],
      ['__proto__ as a principal type', doc({ Principal: JSON.parse('{"__proto__":["x"]}') }), nullError],
      ['__proto__ as an operator', doc({ Condition: JSON.parse('{"__proto__":{"aws:SourceArn":"x"}}') }), nullError],
      ['an SQS action', doc({ Action: 'sqs:SendMessage' }), invalid('Invalid parameter: Policy statement action out of service scope!')],
      ['CreateTopic', doc({ Action: ['sns:Publish', 'sns:CreateTopic'] }), invalid('Invalid parameter: Policy statement action out of service scope!')],
      ['an unknown role', doc({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/nobody` } }), invalid('Invalid parameter: Policy Error: PrincipalNotFound')],
      ['a short account', doc({ Principal: { AWS: 'arn:aws:iam::123:root' } }), invalid('Invalid parameter: Policy Error: PrincipalNotFound')],
      ['31 KB', doc({ Sid: 'x'.repeat(31 * 1024) }), invalid('Invalid parameter: Policy Error: the policy is larger than the 30 KB limit')],
    ];
    for (const [label, value, expected] of cases) expect(await failure(set(value)), label).toEqual(expected);
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    expect(Attributes!.Policy).toBe(good);

    expect(
      await failure(sns.send(new CreateTopicCommand({ Name: 'created-with-policy', Attributes: { Policy: doc({ Action: 'sqs:*' }).replace(topicArn, topicArnOf('created-with-policy')) } }))),
    ).toEqual(invalid('Invalid parameter: Attributes Reason: Policy statement action out of service scope!'));
  });

  it('the aws CLI gets the same refusal', async () => {
    const topicArn = await createTopic('cli-policy');
    const policy = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: topicArn }] });
    const result = await cloud.aws('sns', 'set-topic-attributes', '--topic-arn', topicArn, '--attribute-name', 'Policy', '--attribute-value', policy);
    expect(result.code).toBe(254);
    expect(result.stderr).toContain(
      'An error occurred (InvalidParameter) when calling the SetTopicAttributes operation: Invalid parameter: Policy statement action out of service scope!',
    );
  });
});
