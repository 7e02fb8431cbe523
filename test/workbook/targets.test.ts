import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { executeApiArn, invokeUrl, lambdaIntegrationUri } from '../../lib/api.ts';
import { clientConfig } from '../../lib/clients.ts';
import { discoverAwsRegion, resolveTarget, type Target } from '../../lib/config.ts';
import { WorkbookError } from '../../lib/errors.ts';
import { arnInAccount, identityOf } from '../../lib/identity.ts';
import { runMain } from '../../lib/main.ts';
import { dnsSuffixOf, managedPolicyArn, partitionOfArn, partitionOfRegion } from '../../lib/partition.ts';

let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'workbook-targets-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
});

/** An environment that sees only what a test gives it: no real profile, no instance metadata. */
function awsEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    WORKBOOK_TARGET: 'aws',
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    ...extra,
  };
}

let files = 0;
function configFile(text: string): string {
  const path = join(home, `config-${++files}`);
  writeFileSync(path, text);
  return path;
}

/** The WorkbookError `fn` throws. */
function refusal(fn: () => unknown): WorkbookError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WorkbookError) return err;
    throw err;
  }
  throw new Error('expected a WorkbookError, and nothing was thrown');
}

describe('resolveTarget: WORKBOOK_TARGET=aws', () => {
  it('is real AWS with the SDK left to find endpoints and credentials', () => {
    const target = resolveTarget(awsEnv({ AWS_REGION: 'eu-west-1' }));
    expect(target).toMatchObject({ kind: 'aws', realAws: true, timing: 'aws', region: 'eu-west-1' });
    expect(target.endpoint).toBeUndefined();
    expect(target.credentials).toBeUndefined();
    const config = clientConfig(target);
    expect(config).toEqual({ region: 'eu-west-1' });
    expect('endpoint' in config).toBe(false);
  });

  it('with AWS_ENDPOINT_URL stays AWS: no endpoint forced on the clients, execute-api URLs, and the label says who redirects', () => {
    const target = resolveTarget(awsEnv({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }));
    expect(target.kind).toBe('aws');
    expect(target.endpoint).toBeUndefined();
    expect('endpoint' in clientConfig(target)).toBe(false);
    expect(invokeUrl('a1b2c3', 'v1', '/orders', target)).toBe('https://a1b2c3.execute-api.eu-west-1.amazonaws.com/v1/orders');
    expect(target.label).toContain('AWS_ENDPOINT_URL');
  });

  it('takes AWS_DEFAULT_REGION (the aws CLI\'s) when AWS_REGION is unset', () => {
    expect(resolveTarget(awsEnv({ AWS_DEFAULT_REGION: 'ap-south-1' })).region).toBe('ap-south-1');
  });

  it('refuses a typo\'d region with the regions of AWS, and the near miss', () => {
    const typo = refusal(() => resolveTarget(awsEnv({ AWS_REGION: 'us-east1' })));
    expect(typo.message).toBe('AWS_REGION is "us-east1", which is not an AWS region.');
    expect(typo.hint).toContain('did you mean us-east-1?');
    expect(typo.hint).toContain('eu-west-1');
    expect(typo.hint).toContain('cn-north-1'); // it looks like no partition's region: all three are listed
    expect(typo.hint).not.toMatch(/local cloud|npm run local/);
  });

  it('refuses a region that looks like one but does not exist, listing its partition\'s regions', () => {
    const unknown = refusal(() => resolveTarget(awsEnv({ AWS_REGION: 'eu-west-9' })));
    expect(unknown.message).toBe('AWS_REGION is "eu-west-9", which is not an AWS region.');
    expect(unknown.hint).toContain('aws: ');
    expect(unknown.hint).toContain('eu-west-3');
    expect(unknown.hint).not.toContain('cn-north-1');
    expect(unknown.hint).toContain('npm update');
    for (const region of ['aws-global', '__proto__', 'constructor', 'x'.repeat(10_000)]) {
      const refused = refusal(() => resolveTarget(awsEnv({ AWS_REGION: region })));
      expect(refused.message.length, region.slice(0, 20)).toBeLessThan(120); // a huge value is clipped, not echoed
    }
  });

  it('accepts the regions of aws-cn and aws-us-gov', () => {
    expect(resolveTarget(awsEnv({ AWS_REGION: 'cn-northwest-1' })).region).toBe('cn-northwest-1');
    expect(resolveTarget(awsEnv({ AWS_REGION: 'us-gov-east-1' })).region).toBe('us-gov-east-1');
  });

  it('still needs a region when neither the environment nor the profile has one', async () => {
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    const env = awsEnv({ AWS_PROFILE: 'bare', AWS_CONFIG_FILE: configFile('[profile bare]\noutput = json\n') });
    await discoverAwsRegion(env);
    const missing = refusal(() => resolveTarget(env));
    expect(missing.message).toContain('WORKBOOK_TARGET=aws needs a region');
    expect(missing.message).toContain('"bare"');
    expect(missing.hint).toContain('AWS_REGION=');
  });
});

describe('resolveTarget: the region of an AWS profile (as the SDK reads it)', () => {
  beforeEach(() => {
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  });

  it('the default profile, without AWS_PROFILE', async () => {
    const env = awsEnv({ AWS_CONFIG_FILE: configFile('[default]\nregion = eu-central-1\n\n[profile other]\nregion = us-west-2\n') });
    await discoverAwsRegion(env);
    const target = resolveTarget(env);
    expect(target.region).toBe('eu-central-1');
    expect(target.label).toContain('the AWS profile "default"');
  });

  it('the profile AWS_PROFILE names', async () => {
    const env = awsEnv({
      AWS_PROFILE: 'dev',
      AWS_CONFIG_FILE: configFile('[default]\nregion = eu-central-1\n\n[profile dev]\nregion = ap-southeast-2\n'),
    });
    await discoverAwsRegion(env);
    expect(resolveTarget(env).region).toBe('ap-southeast-2');
  });

  it('an SSO profile (sso-session): the profile\'s region, not the session\'s sso_region', async () => {
    const env = awsEnv({
      AWS_PROFILE: 'learner',
      AWS_CONFIG_FILE: configFile(
        [
          '[profile learner]',
          'sso_session = my-sso',
          'sso_account_id = 111122223333',
          'sso_role_name = Learner',
          'region = eu-north-1',
          '',
          '[sso-session my-sso]',
          'sso_start_url = https://example.awsapps.com/start',
          'sso_region = us-east-1',
          'sso_registration_scopes = sso:account:access',
          '',
        ].join('\n'),
      ),
    });
    await discoverAwsRegion(env);
    expect(resolveTarget(env).region).toBe('eu-north-1');
  });

  it('AWS_REGION wins over the profile', async () => {
    const env = awsEnv({ AWS_REGION: 'sa-east-1', AWS_CONFIG_FILE: configFile('[default]\nregion = eu-central-1\n') });
    await discoverAwsRegion(env);
    expect(resolveTarget(env).region).toBe('sa-east-1');
  });

  it('a typo\'d region in the profile is refused, naming the profile', async () => {
    const env = awsEnv({ AWS_PROFILE: 'typo', AWS_CONFIG_FILE: configFile('[profile typo]\nregion = eu-west1\n') });
    await discoverAwsRegion(env);
    const typo = refusal(() => resolveTarget(env));
    expect(typo.message).toBe('The region in the AWS profile "typo" is "eu-west1", which is not an AWS region.');
    expect(typo.hint).toContain('did you mean eu-west-1?');
  });

  it('every command reads it before its body runs (runMain)', async () => {
    const path = configFile('[profile main]\nregion = ca-central-1\n');
    for (const [name, value] of Object.entries(awsEnv({ AWS_PROFILE: 'main', AWS_CONFIG_FILE: path, AWS_REGION: '', AWS_DEFAULT_REGION: '' }))) {
      vi.stubEnv(name, value);
    }
    const exitCode = process.exitCode;
    let seen: Target | undefined;
    try {
      await runMain(async () => {
        seen = resolveTarget();
      });
      expect(process.exitCode).toBe(0);
    } finally {
      process.exitCode = exitCode;
    }
    expect(seen?.region).toBe('ca-central-1');
  });
});

describe('resolveTarget: local targets', () => {
  it('the embedded cloud is instant; LocalStack (WORKBOOK_TARGET=local + AWS_ENDPOINT_URL) is an emulator at its one URL', () => {
    const local = resolveTarget({ WORKBOOK_TARGET: 'local', LOCAL_CLOUD_PORT: '4566' });
    expect(local).toMatchObject({ kind: 'local', realAws: false, timing: 'instant', endpoint: 'http://127.0.0.1:4566' });
    expect(clientConfig(local)).toMatchObject({ endpoint: 'http://127.0.0.1:4566', credentials: { accessKeyId: 'test' } });

    const localstack = resolveTarget({ AWS_ENDPOINT_URL: 'http://localhost:4566/', AWS_REGION: 'eu-west-1' });
    expect(localstack).toMatchObject({ kind: 'endpoint', realAws: false, timing: 'emulator', endpoint: 'http://localhost:4566/' });
    expect(clientConfig(localstack)).toMatchObject({ endpoint: 'http://localhost:4566/', region: 'eu-west-1' });
    expect(invokeUrl('a1b2c3', 'v1', '/orders', localstack)).toBe('http://localhost:4566/restapis/a1b2c3/v1/_user_request_/orders');
  });
});

/** A stand-in for one AWS service endpoint: records each request's Host and answers with `answer`. */
async function fakeEndpoint(answer: (req: IncomingMessage) => { type: string; body: string }): Promise<{ url: string; hosts: string[]; server: Server }> {
  const hosts: string[] = [];
  const server = createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    req.resume();
    req.on('end', () => {
      const { type, body } = answer(req);
      res.writeHead(200, { 'Content-Type': type, 'x-amzn-RequestId': 'test' }).end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, hosts, server };
}

const callerIdentityXml = (arn: string) =>
  `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
  `<Arn>${arn}</Arn><UserId>AIDATEST</UserId><Account>${arn.split(':')[4]}</Account>` +
  `</GetCallerIdentityResult><ResponseMetadata><RequestId>test</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;

/** process.env as the SDK will read it: WORKBOOK_TARGET=aws, test keys, no profile, no other endpoint settings. */
function stubAwsProcessEnv(extra: Record<string, string>): void {
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_ENDPOINT_URL')) vi.stubEnv(name, undefined);
  const env = awsEnv({
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  });
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.stubEnv('AWS_PROFILE', undefined);
  vi.stubEnv('AWS_SESSION_TOKEN', undefined);
}

describe('clients on AWS: the SDK resolves each endpoint', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it('AWS_ENDPOINT_URL_SQS takes SQS calls, AWS_ENDPOINT_URL the rest', async () => {
    const sqs = await fakeEndpoint(() => ({ type: 'application/x-amz-json-1.0', body: '{"QueueUrls":[]}' }));
    const global = await fakeEndpoint(() => ({ type: 'text/xml', body: callerIdentityXml('arn:aws:iam::123456789012:user/ana') }));
    servers.push(sqs.server, global.server);
    stubAwsProcessEnv({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: global.url, AWS_ENDPOINT_URL_SQS: sqs.url });

    await new SQSClient(clientConfig()).send(new ListQueuesCommand({}));
    await new STSClient(clientConfig()).send(new GetCallerIdentityCommand({}));
    expect(sqs.hosts).toEqual([new URL(sqs.url).host]);
    expect(global.hosts).toEqual([new URL(global.url).host]);
  });
});

describe('partitions: ARNs and hosts', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  const cases = [
    { partition: 'aws', region: 'eu-west-1', dnsSuffix: 'amazonaws.com' },
    { partition: 'aws-cn', region: 'cn-north-1', dnsSuffix: 'amazonaws.com.cn' },
    { partition: 'aws-us-gov', region: 'us-gov-west-1', dnsSuffix: 'amazonaws.com' },
  ];

  for (const { partition, region, dnsSuffix } of cases) {
    it(`${partition}: identity, ARNs, the execute-api host and the invoke URL`, async () => {
      expect(partitionOfRegion(region)).toEqual({ partition, dnsSuffix });
      expect(dnsSuffixOf(partition)).toBe(dnsSuffix);

      const callerArn = `arn:${partition}:iam::123456789012:user/ana`;
      const sts = await fakeEndpoint(() => ({ type: 'text/xml', body: callerIdentityXml(callerArn) }));
      servers.push(sts.server);
      stubAwsProcessEnv({ AWS_REGION: region, AWS_ENDPOINT_URL_STS: sts.url });
      const target = resolveTarget();
      expect(await identityOf(target)).toEqual({ account: '123456789012', arn: callerArn, partition, dnsSuffix });
      await identityOf(target);
      expect(sts.hosts).toHaveLength(1); // asked once per target
      expect(await arnInAccount('sns', 'workbook-order-updates', target)).toBe(`arn:${partition}:sns:${region}:123456789012:workbook-order-updates`);

      expect(invokeUrl('a1b2c3', 'v1', '/orders', target)).toBe(`https://a1b2c3.execute-api.${region}.${dnsSuffix}/v1/orders`);
      expect(executeApiArn({ partition, region, accountId: '123456789012', apiId: 'a1b2c3', stage: '*', method: 'POST', path: '/orders' })).toBe(
        `arn:${partition}:execute-api:${region}:123456789012:a1b2c3/*/POST/orders`,
      );
      const functionArn = `arn:${partition}:lambda:${region}:123456789012:function:workbook-intake`;
      expect(lambdaIntegrationUri(functionArn)).toBe(`arn:${partition}:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`);
      expect(managedPolicyArn(partitionOfArn(functionArn), 'service-role/AWSLambdaBasicExecutionRole')).toBe(
        `arn:${partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`,
      );
    });
  }

  it('refuses a region of another partition than the credentials\'', async () => {
    const sts = await fakeEndpoint(() => ({ type: 'text/xml', body: callerIdentityXml('arn:aws-cn:iam::123456789012:user/ana') }));
    servers.push(sts.server);
    stubAwsProcessEnv({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_STS: sts.url });
    const error = await identityOf().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkbookError);
    expect((error as WorkbookError).message).toContain('eu-west-1 is in the aws partition, but your credentials');
  });

  it('partitionOfArn refuses what is not an ARN', () => {
    expect(partitionOfArn('arn:aws-us-gov:sqs:us-gov-west-1:123456789012:q')).toBe('aws-us-gov');
    for (const text of ['', 'https://sqs.us-east-1.amazonaws.com/123456789012/q', '__proto__', 'arn:']) {
      expect(() => partitionOfArn(text), text).toThrow(/not an ARN/);
    }
  });
});
