import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SignatureV4 } from '@smithy/signature-v4';
import { SQSClient, ListQueuesCommand, CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { SNSClient, ListTopicsCommand } from '@aws-sdk/client-sns';
import { IAMClient, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { LambdaClient, ListFunctionsCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { APIGatewayClient, GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { AWS_CLI, TEST_CREDENTIALS, TEST_REGION, startTestCloud, type TestCloud } from '../support/cloud.ts';
import { Sha256, signedFetch } from '../support/signed-fetch.ts';
import { createLambdaRole, deployFunction, payloadOf } from '../fixtures/lambda/helpers.ts';

/**
 * SigV4 is verified on every AWS API call, as AWS verifies it: the account's key pair is the
 * admin, the role-session keys the cloud issues are their role, and everything else is refused
 * with the service's own code, status and wording, by the SDK v3 clients and the aws CLI alike.
 */
const execFileAsync = promisify(execFile);

let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(() => cloud.close());

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
const WRONG_SECRET: Credentials = { accessKeyId: 'test', secretAccessKey: 'not-the-secret' };
/** The documented example key: what a learner's real keys look like. */
const REAL_LOOKING_KEY: Credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

/** How each front door refuses (facts of AWS's wire, per protocol). */
const REFUSALS = {
  query: { status: 403, unknownKey: 'InvalidClientTokenId', mismatch: 'SignatureDoesNotMatch', missing: 'MissingAuthenticationToken', missingMessage: 'Request is missing Authentication Token', missingStatus: 403 },
  sqs: { status: 403, unknownKey: 'InvalidClientTokenId', mismatch: 'SignatureDoesNotMatch', missing: 'MissingAuthenticationToken', missingMessage: 'Request is missing Authentication Token', missingStatus: 403 },
  json: { status: 400, unknownKey: 'UnrecognizedClientException', mismatch: 'InvalidSignatureException', missing: 'MissingAuthenticationTokenException', missingMessage: 'Request is missing Authentication Token', missingStatus: 400 },
  rest: { status: 403, unknownKey: 'UnrecognizedClientException', mismatch: 'InvalidSignatureException', missing: 'MissingAuthenticationTokenException', missingMessage: 'Missing Authentication Token', missingStatus: 403 },
} as const;

interface ClientOptions {
  credentials?: Credentials;
  region?: string;
  systemClockOffset?: number;
  unsigned?: boolean;
}

interface ServiceCase {
  name: string;
  family: keyof typeof REFUSALS;
  skewMinutes: number;
  call(options: ClientOptions): Promise<unknown>;
}

/** A client of the cloud that fails on the first answer (no retry, no clock correction). */
function config(options: ClientOptions) {
  return {
    endpoint: cloud.url,
    region: options.region ?? TEST_REGION,
    credentials: options.credentials ?? TEST_CREDENTIALS,
    maxAttempts: 1,
    systemClockOffset: options.systemClockOffset,
  };
}

/** Sends with the client, optionally stripping the signature after signing (an unsigned request). */
async function send(client: any, command: any, options: ClientOptions): Promise<unknown> {
  if (options.unsigned) {
    client.middlewareStack.addRelativeTo(
      (next: any) => (args: any) => {
        for (const name of Object.keys(args.request.headers)) {
          if (/^(authorization|x-amz-date|x-amz-security-token)$/i.test(name)) delete args.request.headers[name];
        }
        return next(args);
      },
      { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'stripSignature' },
    );
  }
  try {
    return await client.send(command);
  } finally {
    client.destroy();
  }
}

const SERVICES: ServiceCase[] = [
  { name: 'SQS', family: 'sqs', skewMinutes: 15, call: (o) => send(new SQSClient(config(o)), new ListQueuesCommand({}), o) },
  { name: 'SNS', family: 'query', skewMinutes: 15, call: (o) => send(new SNSClient(config(o)), new ListTopicsCommand({}), o) },
  { name: 'IAM', family: 'query', skewMinutes: 15, call: (o) => send(new IAMClient(config(o)), new ListRolesCommand({}), o) },
  { name: 'STS', family: 'query', skewMinutes: 15, call: (o) => send(new STSClient(config(o)), new GetCallerIdentityCommand({}), o) },
  { name: 'Lambda', family: 'rest', skewMinutes: 5, call: (o) => send(new LambdaClient(config(o)), new ListFunctionsCommand({}), o) },
  { name: 'API Gateway', family: 'rest', skewMinutes: 5, call: (o) => send(new APIGatewayClient(config(o)), new GetRestApisCommand({}), o) },
  { name: 'CloudWatch Logs', family: 'json', skewMinutes: 15, call: (o) => send(new CloudWatchLogsClient(config(o)), new DescribeLogGroupsCommand({}), o) },
  { name: 'DynamoDB', family: 'json', skewMinutes: 15, call: (o) => send(new DynamoDBClient(config(o)), new ListTablesCommand({}), o) },
];

interface Failure {
  name: string;
  message: string;
  $metadata: { httpStatusCode?: number };
}

async function failure(promise: Promise<unknown>): Promise<Failure> {
  const outcome = await promise.then(
    () => undefined,
    (err: Failure) => err,
  );
  if (!outcome) throw new Error('expected the call to be refused, and it passed');
  return outcome;
}

const basicIso = /\d{8}T\d{6}Z/.source;

describe.each(SERVICES)('$name (SDK v3)', (service) => {
  const refusal = REFUSALS[service.family];

  it('the account key pair passes', async () => {
    await expect(service.call({})).resolves.toBeDefined();
  });

  it('a wrong secret: signature mismatch, with the canonical request AWS shows and a hint', async () => {
    const err = await failure(service.call({ credentials: WRONG_SECRET }));
    expect(err.name).toBe(refusal.mismatch);
    expect(err.$metadata.httpStatusCode).toBe(refusal.status);
    expect(err.message.startsWith(`${MISMATCH}\n\nThe Canonical String for this request should have been\n'`)).toBe(true);
    expect(err.message).toContain('\n\nThe String-to-Sign should have been\n\'AWS4-HMAC-SHA256\n');
    expect(err.message).toContain('AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test');
    expect(err.message).not.toContain('not-the-secret');
  });

  it('an unknown (real-looking) key: the invalid-token error, saying which key works here', async () => {
    const err = await failure(service.call({ credentials: REAL_LOOKING_KEY }));
    expect(err.name).toBe(refusal.unknownKey);
    expect(err.$metadata.httpStatusCode).toBe(refusal.status);
    expect(err.message).toBe(
      `${INVALID_TOKEN} (Local cloud: access key id "AKIAIOSFODNN7EXAMPLE" is not one it accepts; real AWS keys never are. ` +
        `It accepts the account's key "test": set AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test.)`,
    );
  });

  it('no signature: missing authentication token', async () => {
    const err = await failure(service.call({ unsigned: true }));
    expect(err.name).toBe(refusal.missing);
    expect(err.$metadata.httpStatusCode).toBe(refusal.missingStatus);
    expect(err.message).toBe(refusal.missingMessage);
  });

  it('a clock 20 minutes slow: signature expired', async () => {
    const err = await failure(service.call({ systemClockOffset: -20 * 60_000 }));
    expect(err.name).toBe(refusal.mismatch);
    expect(err.$metadata.httpStatusCode).toBe(refusal.status);
    expect(err.message).toMatch(
      new RegExp(`^Signature expired: ${basicIso} is now earlier than ${basicIso} \\(${basicIso} - ${service.skewMinutes} min\\.\\)$`),
    );
  });

  it('a clock 20 minutes fast: signature not yet current', async () => {
    const err = await failure(service.call({ systemClockOffset: 20 * 60_000 }));
    expect(err.name).toBe(refusal.mismatch);
    expect(err.message).toMatch(
      new RegExp(`^Signature not yet current: ${basicIso} is still later than ${basicIso} \\(${basicIso} \\+ ${service.skewMinutes} min\\.\\)$`),
    );
  });

  it('a date from 2000: signature expired', async () => {
    const err = await failure(service.call({ systemClockOffset: Date.UTC(2000, 0, 1) - Date.now() }));
    expect(err.name).toBe(refusal.mismatch);
    expect(err.$metadata.httpStatusCode).toBe(refusal.status);
    expect(err.message).toMatch(/^Signature expired: 2000010\dT\d{6}Z is now earlier than /);
  });
});

describe('credential scope', () => {
  it('a request signed for another region is refused, naming the region to use', async () => {
    const err = await failure(SERVICES[0].call({ region: 'eu-west-1' }));
    expect(err.name).toBe('SignatureDoesNotMatch');
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.message).toBe("Credential should be scoped to a valid region, not 'eu-west-1'. (Local cloud: its region is us-east-1; set AWS_REGION=us-east-1.)");
    const dynamo = await failure(SERVICES[7].call({ region: 'eu-west-1' }));
    expect(dynamo.name).toBe('InvalidSignatureException');
    expect(dynamo.$metadata.httpStatusCode).toBe(400);
  });

  it('IAM and STS are global: signed for us-east-1 they pass whatever the cloud region', async () => {
    const other = await startTestCloudInRegion('eu-west-1');
    try {
      const sts = new STSClient({ endpoint: other.url, region: 'us-east-1', credentials: TEST_CREDENTIALS });
      expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe('arn:aws:iam::000000000000:root');
      const sqs = new SQSClient({ endpoint: other.url, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
      expect((await failure(sqs.send(new ListQueuesCommand({})))).name).toBe('SignatureDoesNotMatch');
    } finally {
      await other.close();
    }
  });

  it('a scope for another service than the JSON target names is refused', async () => {
    const res = await signedFetch(`${cloud.url}/`, {
      service: 'logs',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      __type: 'com.amazon.coral.service#InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'dynamodb'.",
    });
  });
});

describe('the account key pair is configurable', () => {
  it('LOCAL_CLOUD_ACCESS_KEY_ID / LOCAL_CLOUD_SECRET_ACCESS_KEY replace test/test, and the hint never shows the secret', async () => {
    const saved = { id: process.env.LOCAL_CLOUD_ACCESS_KEY_ID, secret: process.env.LOCAL_CLOUD_SECRET_ACCESS_KEY };
    Object.assign(process.env, { LOCAL_CLOUD_ACCESS_KEY_ID: 'learner', LOCAL_CLOUD_SECRET_ACCESS_KEY: 'chosen-secret-value' });
    const other = await startTestCloudInRegion(TEST_REGION);
    try {
      const { resolveTarget } = await import('../../lib/config.ts');
      const chosen = resolveTarget({ ...process.env, WORKBOOK_TARGET: 'local', AWS_ENDPOINT_URL: undefined }).credentials!;
      expect(chosen).toEqual({ accessKeyId: 'learner', secretAccessKey: 'chosen-secret-value' });
      const sts = (credentials: Credentials) =>
        new STSClient({ endpoint: other.url, region: TEST_REGION, credentials, maxAttempts: 1 }).send(new GetCallerIdentityCommand({}));
      expect((await sts(chosen)).Arn).toBe('arn:aws:iam::000000000000:root');
      const old = await failure(sts(TEST_CREDENTIALS));
      expect(old.name).toBe('InvalidClientTokenId');
      expect(old.message).toContain('set AWS_ACCESS_KEY_ID=learner AWS_SECRET_ACCESS_KEY=<the value of LOCAL_CLOUD_SECRET_ACCESS_KEY>');
      const wrong = await failure(sts({ accessKeyId: 'learner', secretAccessKey: 'guess' }));
      expect(wrong.name).toBe('SignatureDoesNotMatch');
      expect(wrong.message).not.toContain('chosen-secret-value');
    } finally {
      await other.close();
      for (const [name, value] of [['LOCAL_CLOUD_ACCESS_KEY_ID', saved.id], ['LOCAL_CLOUD_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

async function startTestCloudInRegion(region: string) {
  const { startLocalCloud } = await import('../../local-cloud/server.ts');
  return startLocalCloud({ port: 0, dataDir: null, region });
}

describe('the wire: what is and is not signed', () => {
  const listQueues = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues', 'x-amzn-query-mode': 'true' };

  it('headers added after signing do not matter; signed ones do', async () => {
    const signed = await signRequest({ headers: { ...listQueues, 'x-trace': 'a' }, body: '{}' });
    expect((await fetch(signed.url, { method: 'POST', headers: { ...signed.headers, 'x-unsigned': 'added later' }, body: '{}' })).status).toBe(200);
    const changed = await fetch(signed.url, { method: 'POST', headers: { ...signed.headers, 'x-trace': 'b' }, body: '{}' });
    expect(changed.status).toBe(403);
    expect(changed.headers.get('x-amzn-query-error')).toBe('SignatureDoesNotMatch;Sender');
  });

  it('header values with runs of spaces sign trimmed and folded', async () => {
    const signed = await signRequest({ headers: { ...listQueues, 'x-note': '  two   spaces  ' }, body: '{}' });
    expect((await fetch(signed.url, { method: 'POST', headers: signed.headers, body: '{}' })).status).toBe(200);
  });

  it('a body changed after signing fails: without and with x-amz-content-sha256', async () => {
    const body = JSON.stringify({ QueueNamePrefix: 'a' });
    const tampered = JSON.stringify({ QueueNamePrefix: 'b' });
    const plain = await signRequest({ headers: listQueues, body });
    const res = await fetch(plain.url, { method: 'POST', headers: plain.headers, body: tampered });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message.startsWith(MISMATCH)).toBe(true);

    const hash = createHash('sha256').update(body).digest('hex');
    const declared = await signRequest({ headers: { ...listQueues, 'x-amz-content-sha256': hash }, body });
    expect((await fetch(declared.url, { method: 'POST', headers: declared.headers, body })).status).toBe(200);
    const swapped = await fetch(declared.url, { method: 'POST', headers: declared.headers, body: tampered });
    expect(swapped.status).toBe(403);
    expect(await swapped.json()).toEqual({ __type: 'com.amazon.coral.service#InvalidSignatureException', message: MISMATCH });
  });

  it('a path that needs encoding signs double-encoded, as for every service but S3', async () => {
    const arn = encodeURIComponent('arn:aws:lambda:us-east-1:000000000000:function:nope');
    expect(arn).toContain('%3A');
    const res = await signedFetch(`${cloud.url}/2015-03-31/functions/${arn}`, { service: 'lambda', method: 'GET' });
    expect(res.status).toBe(404); // past the signature check: the function does not exist
    expect(res.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
  });
});

/** Signs a POST / with the SigV4 library, as SDK v3 would; returns what to send. */
async function signRequest(request: { headers: Record<string, string>; body: string; credentials?: Credentials }) {
  const url = new URL(cloud.url);
  const signer = new SignatureV4({ service: 'sqs', region: TEST_REGION, credentials: request.credentials ?? TEST_CREDENTIALS, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, ...request.headers },
    body: request.body,
  });
  const headers = { ...signed.headers } as Record<string, string>;
  delete headers.host;
  return { url: `${cloud.url}/`, headers };
}


describe('presigned URLs', () => {
  async function presign(options: { signingDate?: Date; expiresIn: number; credentials?: Credentials }): Promise<string> {
    const url = new URL(cloud.url);
    const signer = new SignatureV4({ service: 'sts', region: TEST_REGION, credentials: options.credentials ?? TEST_CREDENTIALS, sha256: Sha256 });
    const signed = await signer.presign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: url.host },
      },
      { expiresIn: options.expiresIn, signingDate: options.signingDate },
    );
    const query = new URLSearchParams(signed.query as Record<string, string>).toString();
    return `${cloud.url}/?${query}`;
  }

  it('a presigned URL (SigV4 library) works without any header', async () => {
    const res = await fetch(await presign({ expiresIn: 60 }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Arn>arn:aws:iam::000000000000:root</Arn>');
  });

  it('a presigned URL from botocore (the aws CLI’s own signer) works with the method it signed', async () => {
    // botocore signs a query-protocol URL as POST; AWS refuses it as a GET (boto/boto3#756), and so does the cloud.
    const url = await botocorePresign('sts', 'get_caller_identity', 60);
    expect(url).toContain('X-Amz-Signature=');
    const res = await fetch(url, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Arn>arn:aws:iam::000000000000:root</Arn>');
    const sqs = await fetch(await botocorePresign('sqs', 'list_queues', 60), { method: 'POST' });
    expect(sqs.status).toBe(200);
    const asGet = await fetch(url);
    expect(asGet.status).toBe(403);
    expect(await asGet.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('an expired presigned URL is refused; a changed one does not match', async () => {
    const expired = await fetch(await presign({ expiresIn: 60, signingDate: new Date(Date.now() - 5 * 60_000) }));
    expect(expired.status).toBe(403);
    const text = await expired.text();
    expect(text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(text).toMatch(new RegExp(`<Message>Signature expired: ${basicIso} is now earlier than ${basicIso} \\(${basicIso} - 60 sec\\.\\)</Message>`));
    expect(text).toContain('xmlns="https://sts.amazonaws.com/doc/2011-06-15/"');

    const changed = (await presign({ expiresIn: 60 })).replace('GetCallerIdentity', 'GetCallerIdentitx');
    const mismatch = await fetch(changed);
    expect(mismatch.status).toBe(403);
    expect(await mismatch.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('a presigned URL with an unknown key is refused as an invalid token', async () => {
    const res = await fetch(await presign({ expiresIn: 60, credentials: REAL_LOOKING_KEY }));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>InvalidClientTokenId</Code>');
  });
});

async function botocorePresign(service: string, method: string, expiresIn: number): Promise<string> {
  const script = [
    'import sys',
    'from awscli.botocore.session import Session',
    'client = Session().create_client(sys.argv[1], region_name=sys.argv[3], endpoint_url=sys.argv[4], aws_access_key_id="test", aws_secret_access_key="test")',
    'print(client.generate_presigned_url(sys.argv[2], Params={}, ExpiresIn=int(sys.argv[5])))',
  ].join('\n');
  const { stdout } = await execFileAsync('/usr/bin/python3', ['-c', script, service, method, TEST_REGION, cloud.url, String(expiresIn)], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  return stdout.trim();
}

describe('the aws CLI (botocore signs)', () => {
  /** "An error occurred (CODE) when calling the OP operation: " (botocore may add a retry note). */
  const cliError = (code: string, operation: string, message: string) =>
    new RegExp(`An error occurred \\(${code}\\) when calling the ${operation} operation( \\(reached max retries: \\d+\\))?: ${escape(message)}`);
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  /** The CLI with chosen credentials and region (the support helper always uses test/test). */
  async function cli(args: string[], env: Record<string, string> = {}) {
    try {
      const { stdout } = await execFileAsync(AWS_CLI, ['--endpoint-url', cloud.url, '--output', 'json', ...args], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_DEFAULT_REGION: TEST_REGION,
          AWS_PAGER: '',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          ...env,
        },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr: '' };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  it('the account key pair passes for each protocol (query, JSON, REST)', async () => {
    const results = await Promise.all([
      cli(['sts', 'get-caller-identity']),
      cli(['sqs', 'list-queues']),
      cli(['dynamodb', 'list-tables']),
      cli(['lambda', 'list-functions']),
      cli(['logs', 'describe-log-groups']),
      cli(['apigateway', 'get-rest-apis']),
    ]);
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(results[0].stdout).Arn).toBe('arn:aws:iam::000000000000:root');
  });

  it('a learner’s real keys in the environment: AWS’s code, and the keys that work here', async () => {
    const real = { AWS_ACCESS_KEY_ID: REAL_LOOKING_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: REAL_LOOKING_KEY.secretAccessKey };
    const logged: string[] = [];
    const listen = (event: { error?: string }) => event.error && logged.push(event.error);
    cloud.cloud.events.on('event', listen);
    const sts = await cli(['sts', 'get-caller-identity'], real).finally(() => cloud.cloud.events.off('event', listen));
    // The live log says the same: AWS's words and the keys that work here.
    expect(logged).toContainEqual(expect.stringMatching(/: The security token included in the request is invalid\. \(Local cloud: .* set AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test\.\)$/));
    expect(sts.code).not.toBe(0);
    expect(sts.stderr).toMatch(
      cliError(
        'InvalidClientTokenId',
        'GetCallerIdentity',
        `${INVALID_TOKEN} (Local cloud: access key id "AKIAIOSFODNN7EXAMPLE" is not one it accepts; real AWS keys never are. It accepts the account's key "test": set AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test.)`,
      ),
    );
    expect(sts.stderr).not.toContain(REAL_LOOKING_KEY.secretAccessKey);
    const [sqs, dynamodb, lambda] = await Promise.all([
      cli(['sqs', 'list-queues'], real),
      cli(['dynamodb', 'list-tables'], real),
      cli(['lambda', 'list-functions'], real),
    ]);
    expect(sqs.stderr).toMatch(cliError('InvalidClientTokenId', 'ListQueues', INVALID_TOKEN));
    expect(dynamodb.stderr).toMatch(cliError('UnrecognizedClientException', 'ListTables', INVALID_TOKEN));
    expect(lambda.stderr).toMatch(cliError('UnrecognizedClientException', 'ListFunctions', INVALID_TOKEN));
  });

  it('a wrong secret: SignatureDoesNotMatch / InvalidSignatureException', async () => {
    const wrong = { AWS_SECRET_ACCESS_KEY: 'not-the-secret' };
    const [sts, logs, apigateway] = await Promise.all([
      cli(['sts', 'get-caller-identity'], wrong),
      cli(['logs', 'describe-log-groups'], wrong),
      cli(['apigateway', 'get-rest-apis'], wrong),
    ]);
    expect(sts.stderr).toMatch(cliError('SignatureDoesNotMatch', 'GetCallerIdentity', MISMATCH));
    expect(logs.stderr).toMatch(cliError('InvalidSignatureException', 'DescribeLogGroups', MISMATCH));
    expect(apigateway.stderr).toMatch(cliError('InvalidSignatureException', 'GetRestApis', MISMATCH));
  });

  it('another region: refused, naming the cloud’s region', async () => {
    const result = await cli(['sqs', 'list-queues'], { AWS_DEFAULT_REGION: 'eu-west-1' });
    expect(result.stderr).toMatch(cliError('SignatureDoesNotMatch', 'ListQueues', "Credential should be scoped to a valid region, not 'eu-west-1'."));
    expect(result.stderr).toContain('set AWS_REGION=us-east-1');
  });

  it('a stray session token with the account keys is refused, saying to unset it', async () => {
    const result = await cli(['sts', 'get-caller-identity'], { AWS_SESSION_TOKEN: 'from-an-sso-login' });
    expect(result.stderr).toMatch(cliError('InvalidClientTokenId', 'GetCallerIdentity', INVALID_TOKEN));
    expect(result.stderr).toContain('unset AWS_SESSION_TOKEN');
  });
});

describe('role-session credentials the cloud issued', () => {
  let roleArn: string;
  beforeAll(async () => {
    roleArn = await createLambdaRole(cloud, 'session-role');
  });

  it('with their token they are the role; without it, or with another, they are refused', async () => {
    const session = cloud.cloud.sessions.issue(roleArn, 'probe');
    const credentials = { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken };
    const sts = (c: Credentials) => new STSClient({ ...config({ credentials: c }) }).send(new GetCallerIdentityCommand({}));
    expect((await sts(credentials)).Arn).toBe('arn:aws:sts::000000000000:assumed-role/session-role/probe');

    const wrongToken = await failure(sts({ ...credentials, sessionToken: 'not-the-token' }));
    expect(wrongToken.name).toBe('InvalidClientTokenId');
    expect(wrongToken.$metadata.httpStatusCode).toBe(403);
    expect(wrongToken.message).toBe(INVALID_TOKEN);
    const noToken = await failure(sts({ accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }));
    expect(noToken.name).toBe('InvalidClientTokenId');
    const dynamo = await failure(new DynamoDBClient(config({ credentials: { ...credentials, sessionToken: 'x' } })).send(new ListTablesCommand({})));
    expect(dynamo.name).toBe('UnrecognizedClientException');
    expect(dynamo.message).toBe('The security token included in the request is invalid');
    const wrongSecret = await failure(sts({ ...credentials, secretAccessKey: 'guessed' }));
    expect(wrongSecret.name).toBe('SignatureDoesNotMatch');
    expect(wrongSecret.message).not.toContain('AWS_SECRET_ACCESS_KEY=');
  });

  it('a revoked session’s keys are unknown', async () => {
    const session = cloud.cloud.sessions.issue(roleArn, 'gone');
    cloud.cloud.sessions.revoke(session.accessKeyId);
    const err = await failure(
      new STSClient(config({ credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken } })).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(err.name).toBe('InvalidClientTokenId');
  });
});

describe('function code that signs for itself', () => {
  const HANDLER = `
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
export const handler = async (event) => {
  const env = process.env;
  const credentials = {
    'made-up': { accessKeyId: 'AKIAMADEUPKEY0000000', secretAccessKey: 'made-up-secret' },
    'wrong-token': { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: 'not-the-token' },
    'role': undefined,
  }[event.credentials];
  try {
    if (event.call === 'sqs') {
      await new SQSClient({ credentials, maxAttempts: 1 }).send(new SendMessageCommand({ QueueUrl: event.queueUrl, MessageBody: 'order' }));
      return { ok: true };
    }
    const who = await new STSClient({ credentials, maxAttempts: 1 }).send(new GetCallerIdentityCommand({}));
    return { ok: true, arn: who.Arn };
  } catch (err) {
    return { ok: false, name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
};
`;
  let lambda: LambdaClient;
  let queueUrl: string;
  let queueArn: string;
  const caller = 'arn:aws:sts::000000000000:assumed-role/self-signer-role/self-signer';

  beforeAll(async () => {
    lambda = new LambdaClient(cloud.clientConfig);
    const sqs = new SQSClient(cloud.clientConfig);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'self-signed' }))).QueueUrl!;
    queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const role = await createLambdaRole(cloud, 'self-signer-role');
    await deployFunction(lambda, { FunctionName: 'self-signer', Role: role, Handler: 'index.handler', files: { 'index.mjs': HANDLER } });
  });

  async function run(event: Record<string, string>) {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'self-signer', Payload: JSON.stringify(event) }));
    expect(out.FunctionError).toBeUndefined();
    return payloadOf(out);
  }

  it('a made-up key is refused', async () => {
    expect(await run({ credentials: 'made-up', call: 'sqs', queueUrl })).toMatchObject({ ok: false, name: 'InvalidClientTokenId', status: 403 });
    expect(await run({ credentials: 'made-up', call: 'sts' })).toMatchObject({ ok: false, name: 'InvalidClientTokenId', status: 403 });
  });

  it('the role’s own key with another session token is refused', async () => {
    expect(await run({ credentials: 'wrong-token', call: 'sts' })).toEqual({ ok: false, name: 'InvalidClientTokenId', status: 403, message: INVALID_TOKEN });
  });

  it('the role’s own credentials are the role, and IAM still decides what it may do', async () => {
    expect(await run({ credentials: 'role', call: 'sts' })).toEqual({ ok: true, arn: caller });
    const denied = await run({ credentials: 'role', call: 'sqs', queueUrl });
    expect(denied).toMatchObject({ ok: false, name: 'AccessDenied', status: 403 });
    expect(denied.message).toContain(`User: ${caller} is not authorized to perform: sqs:sendmessage on resource: ${queueArn}`);
    await new IAMClient(cloud.clientConfig).send(
      new PutRolePolicyCommand({
        RoleName: 'self-signer-role',
        PolicyName: 'send',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn }] }),
      }),
    );
    expect(await run({ credentials: 'role', call: 'sqs', queueUrl })).toEqual({ ok: true });
  });
});

describe('hostile signatures get AWS errors, never a crash', () => {
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const AUTHORIZATIONS: Array<[string, string, string]> = [
    ['no parameters', 'AWS4-HMAC-SHA256', 'IncompleteSignature'],
    ['no equal sign', 'AWS4-HMAC-SHA256 Credential', 'IncompleteSignature'],
    ['repeated Credential', `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, Credential=x/y/z/w/v, SignedHeaders=host, Signature=00`, 'IncompleteSignature'],
    ['__proto__ as a parameter', 'AWS4-HMAC-SHA256 __proto__=x, constructor=y, Credential=a, SignedHeaders=host, Signature=0', 'IncompleteSignature'],
    ['four-part credential', 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts, SignedHeaders=host, Signature=00', 'IncompleteSignature'],
    ['another algorithm', 'AWS4-HMAC-SHA1 Credential=test/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00', 'IncompleteSignature'],
    ['not SigV4 at all', 'Bearer abc', 'MissingAuthenticationToken'],
    ['huge', `AWS4-HMAC-SHA256 Credential=${'a'.repeat(12_000)}, SignedHeaders=host, Signature=00`, 'IncompleteSignature'],
    ['non-hex signature', 'AWS4-HMAC-SHA256 Credential=test/TODAY/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=zz\u00e9', 'SignatureDoesNotMatch'],
    ['host not signed', 'AWS4-HMAC-SHA256 Credential=test/TODAY/us-east-1/sts/aws4_request, SignedHeaders=x-amz-date, Signature=00', 'SignatureDoesNotMatch'],
  ];

  it.each(AUTHORIZATIONS)('%s → %s', async (_label, authorization, code) => {
    const date = now();
    const res = await fetch(`${cloud.url}/`, {
      method: 'POST',
      headers: { ...form, 'x-amz-date': date, authorization: authorization.replace('TODAY', date.slice(0, 8)) },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await res.text()).toContain(`<Code>${code}</Code>`);
  });

  it('a bad X-Amz-Date is IncompleteSignature', async () => {
    const res = await fetch(`${cloud.url}/`, {
      method: 'POST',
      headers: { ...form, 'x-amz-date': 'yesterday', authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00' },
      body: 'Action=GetCallerIdentity',
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('<Code>IncompleteSignature</Code>');
    expect(text).toContain('<Message>Date must be in ISO-8601 &apos;basic format&apos;. Got &apos;yesterday&apos;.');
  });

  it('malformed presigned queries: repeated, missing, bad expiry, both forms at once', async () => {
    const date = now();
    const base = `Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F${date.slice(0, 8)}%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=${date}&X-Amz-SignedHeaders=host&X-Amz-Signature=00`;
    const cases: Array<[string, string, RequestInit?]> = [
      [`${base}&X-Amz-Expires=60&X-Amz-Date=${date}`, 'IncompleteSignature'],
      [base.replace('&X-Amz-Signature=00', '') + '&X-Amz-Expires=60', 'IncompleteSignature'],
      [`${base}&X-Amz-Expires=forever`, 'IncompleteSignature'],
      [`${base}&X-Amz-Expires=9999999`, 'IncompleteSignature'],
      [`${base}&X-Amz-Expires=60&%E0%A4%A=x&__proto__=1`, 'SignatureDoesNotMatch'],
      [`${base}&X-Amz-Expires=60`, 'SignatureDoesNotMatch', { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=a' } }],
    ];
    for (const [query, code, init] of cases) {
      const res = await fetch(`${cloud.url}/?${query}`, init);
      expect(res.status, query).toBeGreaterThanOrEqual(400);
      expect(res.status, query).toBeLessThan(500);
      expect(await res.text(), query).toContain(`<Code>${code}</Code>`);
    }
  });

  it('the server still answers afterwards', async () => {
    await expect(SERVICES[3].call({})).resolves.toBeDefined();
  });
});

describe('the verifier agrees with the SigV4 library on awkward requests', () => {
  const awkward: Array<{ path: string; query?: Record<string, string | string[]>; headers?: Record<string, string> }> = [
    { path: '/2015-03-31/functions/a%3Ab/invocations', query: { Qualifier: '$LATEST' } },
    { path: '/restapis/abc/resources', query: { limit: '5', position: 'a b+c/d~e*f' } },
    { path: '/2015-03-31/functions/', query: { Marker: ['z', 'a'], MaxItems: '1', 'Empty': '' } },
    { path: '/2015-03-31/functions/x', headers: { 'x-amz-meta': 'Ünïcödé value', 'x-custom': 'a,b' } },
  ];

  it.each(awkward)('$path', async ({ path, query, headers }) => {
    const url = new URL(cloud.url);
    const signer = new SignatureV4({ service: 'lambda', region: TEST_REGION, credentials: TEST_CREDENTIALS, sha256: Sha256 });
    const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path, query, headers: { host: url.host, ...headers } });
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) for (const v of [value].flat()) search.append(key, v);
    const qs = search.toString().replace(/\+/g, '%20');
    const sent = { ...(signed.headers as Record<string, string>) };
    delete sent.host;
    const res = await fetch(`${cloud.url}${path}${qs ? `?${qs}` : ''}`, { headers: sent });
    // Anything but the signature check's refusals: the request reached Lambda's routes.
    expect(res.headers.get('x-amzn-errortype') ?? '').not.toMatch(/Signature|UnrecognizedClient|MissingAuthentication|IncompleteSignature/);

    // The same request signed with another secret is refused: the check did run on it.
    const forged = await new SignatureV4({ service: 'lambda', region: TEST_REGION, credentials: WRONG_SECRET, sha256: Sha256 }).sign({
      method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path, query, headers: { host: url.host, ...headers },
    });
    const forgedHeaders = { ...(forged.headers as Record<string, string>) };
    delete forgedHeaders.host;
    const refused = await fetch(`${cloud.url}${path}${qs ? `?${qs}` : ''}`, { headers: forgedHeaders });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });
});
