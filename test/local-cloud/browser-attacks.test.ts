import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { rawRequest, rawSocket, signedHeaders, type RawRequest } from '../support/raw-http.ts';
import { signedFetch } from '../support/signed-fetch.ts';
import { createLambdaRole, deployFunction, fixture } from '../fixtures/lambda/helpers.ts';
import { startLocalCloud } from '../../local-cloud/server.ts';
import { resolveTarget } from '../../lib/config.ts';
import { probeLocalCloud } from '../../lib/localCloud.ts';
import { callLocalCloudControl } from '../../lib/localCloudControl.ts';
import type { CloudEvent } from '../../local-cloud/cloud.ts';
import type { ProxyOutcome, ProxyTarget } from '../../local-cloud/apigateway/proxy-target.ts';

/**
 * What a web page open in the learner's browser can make the browser send to 127.0.0.1:4566,
 * sent here byte for byte as browsers send it: each is refused, and nothing changes. The SDK, the
 * aws CLI, the cloud's own pages and the workbook's tools (with the token) still get through.
 */
let cloud: TestCloud;
let sqs: SQSClient;
let lambda: LambdaClient;
let host: string;
let queueUrl: string;
let apiId: string;
const events: CloudEvent[] = [];

const EVIL = 'http://evil.example';
const CROSS_SITE_IMAGE = { 'sec-fetch-dest': 'image', 'sec-fetch-mode': 'no-cors', 'sec-fetch-site': 'cross-site' };

/** A deployed API's function: answers with CORS headers only when asked to (the API's own choice). */
class EchoTarget implements ProxyTarget {
  async invoke(_functionArn: string, event: any): Promise<ProxyOutcome> {
    const cors = event.path === '/cors' ? { 'Access-Control-Allow-Origin': EVIL } : {};
    return { kind: 'invoked', payload: Buffer.from(JSON.stringify({ statusCode: 200, headers: cors, body: `hello ${event.path}` })) };
  }
}

beforeAll(async () => {
  cloud = await startTestCloud();
  host = new URL(cloud.url).host;
  cloud.cloud.events.on('event', (e) => events.push(e));
  sqs = new SQSClient(cloud.clientConfig);
  lambda = new LambdaClient(cloud.clientConfig);
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'kept' }))).QueueUrl!;

  cloud.cloud.apigateway.proxyTarget = new EchoTarget();
  const apigateway = new APIGatewayClient(cloud.clientConfig);
  const api = await apigateway.send(new CreateRestApiCommand({ name: 'public' }));
  apiId = api.id!;
  const fn = 'arn:aws:lambda:us-east-1:000000000000:function:echo';
  for (const pathPart of ['plain', 'cors']) {
    const resourceId = (await apigateway.send(new CreateResourceCommand({ restApiId: apiId, parentId: api.rootResourceId!, pathPart }))).id!;
    const ids = { restApiId: apiId, resourceId, httpMethod: 'GET' };
    await apigateway.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
    await apigateway.send(
      new PutIntegrationCommand({
        ...ids,
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${fn}/invocations`,
      }),
    );
  }
  await apigateway.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' }));
});
afterAll(() => cloud?.close());

/** A request signed with the test keys (so only the guard can be what refuses it), sent with these headers. */
async function signed(service: string, request: RawRequest & { host?: string }): Promise<ReturnType<typeof rawRequest>> {
  const method = request.method ?? 'GET';
  const body = typeof request.body === 'string' ? request.body : undefined;
  const extra = Array.isArray(request.headers) ? {} : (request.headers ?? {});
  const headers = await signedHeaders({ service, host: request.host ?? host, method, path: request.path, headers: extra, body });
  return rawRequest(cloud.url, { ...request, method, headers });
}

const queueExists = async (name: string) =>
  sqs.send(new GetQueueUrlCommand({ QueueName: name })).then(
    () => true,
    () => false,
  );

const currentFaults = async () => (await cloud.control('faults')).json();

function expectCrossSiteRefusal(res: { status: number; text: string }) {
  expect(res.status).toBe(403);
  expect(res.text).toContain('Cross-site requests to the local cloud are refused');
}

function expectHostRefusal(res: { status: number; text: string }) {
  expect(res.status).toBe(403);
  expect(res.text).toContain('The local cloud answers only to loopback names');
}

describe('a web page on another site', () => {
  it('cannot delete a queue with an <img> tag (cross-site GET of a query action)', async () => {
    const res = await signed('sqs', {
      path: `/?Action=DeleteQueue&QueueUrl=${encodeURIComponent(queueUrl)}`,
      headers: { ...CROSS_SITE_IMAGE, referer: `${EVIL}/page.html` },
    });
    expectCrossSiteRefusal(res);
    expect(res.text).toContain('<Code>AccessDenied</Code>');
    expect(res.text).toContain('Sec-Fetch-Site: cross-site');
    expect(await queueExists('kept')).toBe(true);
  });

  it('cannot either from a same-site page (another port of localhost, e.g. a dev server)', async () => {
    const res = await signed('sqs', {
      path: `/?Action=DeleteQueue&QueueUrl=${encodeURIComponent(queueUrl)}`,
      headers: { ...CROSS_SITE_IMAGE, 'sec-fetch-site': 'same-site' },
    });
    expectCrossSiteRefusal(res);
    expect(await queueExists('kept')).toBe(true);
  });

  it('cannot with an older browser that sends no Sec-Fetch headers but a Referer', async () => {
    const res = await signed('sqs', {
      path: `/?Action=DeleteQueue&QueueUrl=${encodeURIComponent(queueUrl)}`,
      headers: { referer: `${EVIL}/` },
    });
    expectCrossSiteRefusal(res);
    expect(await queueExists('kept')).toBe(true);
  });

  it('cannot create or delete resources with a form POST', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: EVIL, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' };
    const create = await signed('sqs', { method: 'POST', path: '/', headers: form, body: 'Action=CreateQueue&QueueName=planted' });
    expectCrossSiteRefusal(create);
    expect(create.text).toContain(`it comes from a page at ${EVIL}`);
    expect(await queueExists('planted')).toBe(false);

    const topic = await signed('sns', { method: 'POST', path: '/', headers: form, body: 'Action=CreateTopic&Name=planted' });
    expectCrossSiteRefusal(topic);
    expect((await new SNSClient(cloud.clientConfig).send(new ListTopicsCommand({}))).Topics ?? []).toEqual([]);

    const remove = await signed('sqs', { method: 'POST', path: '/', headers: form, body: `Action=DeleteQueue&QueueUrl=${encodeURIComponent(queueUrl)}` });
    expectCrossSiteRefusal(remove);
    expect(await queueExists('kept')).toBe(true);
  });

  it('is refused in the shape of every protocol it tries', async () => {
    const body = JSON.stringify({ QueueUrl: queueUrl });
    const json = await signed('sqs', {
      method: 'POST',
      path: '/',
      headers: { origin: EVIL, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.DeleteQueue' },
      body,
    });
    expect(json.status).toBe(403);
    expect(JSON.parse(json.text)).toMatchObject({ __type: expect.stringMatching(/AccessDenied/), message: expect.stringContaining('Cross-site') });

    const dynamodb = await signed('dynamodb', {
      method: 'POST',
      path: '/',
      headers: { origin: EVIL, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
    });
    expect(dynamodb.status).toBe(403);
    expect(dynamodb.text).toContain('Cross-site requests to the local cloud are refused');

    const rest = await signed('lambda', { method: 'DELETE', path: '/2015-03-31/functions/anything', headers: { origin: EVIL } });
    expect(rest.status).toBe(403);
    expect(rest.headers['x-amzn-errortype']).toBe('AccessDeniedException');
    expect(JSON.parse(rest.text).message).toContain('Cross-site requests to the local cloud are refused');
    expect(await queueExists('kept')).toBe(true);
  });

  it('cannot flip a fault switch with a text/plain fetch, with or without the token', async () => {
    const before = await currentFaults();
    const attack = { 'content-type': 'text/plain;charset=UTF-8', origin: EVIL, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' };
    const body = JSON.stringify({ roleNotAssumableFor: 5, fastRetry: { messageAttribute: 'x', visibilityTimeout: 0 } });
    const bare = await rawRequest(cloud.url, { method: 'POST', path: '/_localcloud/faults', headers: attack, body });
    expectCrossSiteRefusal(bare);
    const withToken = await rawRequest(cloud.url, {
      method: 'POST',
      path: '/_localcloud/faults',
      headers: { ...attack, 'x-local-cloud-token': cloud.controlToken },
      body,
    });
    expectCrossSiteRefusal(withToken);
    expect(await currentFaults()).toEqual(before);
  });

  it('has each refusal in the live log', async () => {
    events.length = 0;
    await signed('sqs', { path: '/?Action=ListQueues', headers: CROSS_SITE_IMAGE });
    expect(events).toContainEqual(expect.objectContaining({ status: 403, error: expect.stringContaining('Cross-site requests to the local cloud are refused') }));
  });
});

describe('DNS rebinding: a foreign name for this machine', () => {
  const foreign = () => `evil.example:${cloud.port}`;

  it('is refused on every protocol, and nothing changes', async () => {
    const before = await currentFaults();
    const attempts = [
      signed('sqs', { host: foreign(), headers: { host: foreign() }, path: `/?Action=DeleteQueue&QueueUrl=${encodeURIComponent(queueUrl)}` }),
      signed('sqs', {
        host: foreign(),
        method: 'POST',
        path: '/',
        headers: { host: foreign(), 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' },
        body: '{}',
      }),
      signed('dynamodb', {
        host: foreign(),
        method: 'POST',
        path: '/',
        headers: { host: foreign(), 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
        body: '{}',
      }),
      signed('lambda', { host: foreign(), path: '/2015-03-31/functions/', headers: { host: foreign() } }),
      rawRequest(cloud.url, { path: '/_localcloud/health', headers: { host: foreign(), 'x-local-cloud-token': cloud.controlToken } }),
      rawRequest(cloud.url, {
        method: 'POST',
        path: '/_localcloud/faults',
        headers: { host: foreign(), 'x-local-cloud-token': cloud.controlToken },
        body: '{"roleNotAssumableFor":3}',
      }),
      rawRequest(cloud.url, { path: `/restapis/${apiId}/prod/_user_request_/plain`, headers: { host: foreign() } }),
    ];
    for (const res of await Promise.all(attempts)) {
      expectHostRefusal(res);
      expect(res.text).toContain('evil.example');
    }
    expect(await queueExists('kept')).toBe(true);
    expect(await currentFaults()).toEqual(before);
  });

  it.each([
    ['0.0.0.0 (which reaches loopback)', () => `0.0.0.0:${cloud.port}`],
    ['a loopback address on another port', () => `127.0.0.1:${cloud.port + 1}`],
    ['localhost without the port', () => 'localhost'],
    ['a name that only starts like localhost', () => `localhost.evil.example:${cloud.port}`],
    ['user info before a loopback address', () => `evil.example@127.0.0.1:${cloud.port}`],
    ['a path after the port', () => `127.0.0.1:${cloud.port}/x`],
    ['a private address', () => `192.168.1.10:${cloud.port}`],
  ])('refuses Host: %s', async (_what, value) => {
    const res = await rawRequest(cloud.url, { path: '/_localcloud/health', headers: { host: value(), 'x-local-cloud-token': cloud.controlToken } });
    expectHostRefusal(res);
  });

  it.each([
    ['127.0.0.1', () => `127.0.0.1:${cloud.port}`],
    ['another 127.x.y.z', () => `127.8.9.10:${cloud.port}`],
    ['localhost', () => `localhost:${cloud.port}`],
    ['LOCALHOST in capitals', () => `LOCALHOST:${cloud.port}`],
    ['[::1]', () => `[::1]:${cloud.port}`],
    ['a *.localhost name', () => `workbook.localhost:${cloud.port}`],
  ])('accepts Host: %s', async (_what, value) => {
    const res = await rawRequest(cloud.url, { path: '/_localcloud/health', headers: { host: value(), 'x-local-cloud-token': cloud.controlToken } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ status: 'ready' });
  });

  it('refuses a request without Host (HTTP/1.0), and one with two', async () => {
    const bare = await rawSocket(cloud.url, 'GET /?Action=ListQueues HTTP/1.0\r\n\r\n');
    expect(bare).toMatch(/^HTTP\/1\.[01] 403 /);
    expect(bare).toContain('must name it in a Host header');

    const twice = await rawRequest(cloud.url, { path: '/?Action=ListQueues', headers: ['Host', host, 'Host', foreign()] });
    expect(twice.status).toBe(403);
    expect(twice.text).toContain('exactly one Host header');
  });

  it('refuses an absolute-form request target naming another host', async () => {
    const answer = await rawSocket(cloud.url, `GET http://evil.example/?Action=ListQueues HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toContain('The local cloud answers only to loopback names');
    expect(answer).toMatch(/the request target [^ ]*http:\/\/evil\.example\/\?Action=ListQueues[^ ]* is refused/);
  });
});

describe("the cloud's own endpoints need its token", () => {
  it('health and faults refuse a request without it (401) or with a wrong one (403)', async () => {
    const missing = await fetch(`${cloud.url}/_localcloud/health`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    const why = (await missing.json()) as { code: string; message: string };
    expect(why.code).toBe('LocalCloudTokenMissing');
    expect(why.message).toContain('x-local-cloud-token');
    expect(why.message).toContain('control-token');

    const wrong = await fetch(`${cloud.url}/_localcloud/faults`, { headers: { 'x-local-cloud-token': 'guessed' } });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { code: string }).code).toBe('LocalCloudTokenInvalid');

    const before = await currentFaults();
    const post = await fetch(`${cloud.url}/_localcloud/faults`, { method: 'POST', body: '{"roleNotAssumableFor":2}' });
    expect(post.status).toBe(401);
    expect(await currentFaults()).toEqual(before);

    // The dashboard's page is public (it holds nothing); its data is not.
    const unknown = await fetch(`${cloud.url}/_localcloud/dashboard/api/pipeline`);
    expect(unknown.status).toBe(401);
    expect((await fetch(`${cloud.url}/_localcloud/nothing-here`)).status).toBe(401);
  });

  it('accepts it as x-local-cloud-token or as a bearer token', async () => {
    const header = await fetch(`${cloud.url}/_localcloud/health`, { headers: { 'x-local-cloud-token': cloud.controlToken } });
    expect(header.status).toBe(200);
    expect(await header.json()).toMatchObject({ status: 'ready', pid: process.pid });
    const bearer = await fetch(`${cloud.url}/_localcloud/faults`, { headers: { authorization: `Bearer ${cloud.controlToken}` } });
    expect(bearer.status).toBe(200);
    expect(await bearer.json()).toHaveProperty('roleNotAssumableFor');
  });

  it('writes it to DATA/control-token, readable by its owner only', () => {
    const file = join(cloud.dataDir, 'control-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(cloud.controlToken);
    expect(cloud.controlToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  });

  it('is new at every start: the last run’s token no longer opens anything', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-cloud-token-'));
    try {
      const first = await startTestCloud({ dataDir });
      const old = first.controlToken;
      await first.close();
      const second = await startTestCloud({ dataDir });
      try {
        expect(second.controlToken).not.toBe(old);
        expect(readFileSync(join(dataDir, 'control-token'), 'utf8').trim()).toBe(second.controlToken);
        const stale = await fetch(`${second.url}/_localcloud/health`, { headers: { 'x-local-cloud-token': old } });
        expect(stale.status).toBe(403);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('lives only on the returned object for an in-memory cloud', async () => {
    const memory = await startLocalCloud({ port: 0, dataDir: null });
    try {
      expect(memory.controlToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      const res = await fetch(`${memory.url}/_localcloud/health`, { headers: { authorization: `Bearer ${memory.controlToken}` } });
      expect(res.status).toBe(200);
      expect((await fetch(`${memory.url}/_localcloud/health`)).status).toBe(401);
    } finally {
      await memory.close();
    }
  });
});

describe("the workbook's tools read the token from the target's data folder", () => {
  it('the health probe and the fault switch helper get through', async () => {
    const target = resolveTarget(cloud.env);
    expect(await probeLocalCloud(cloud.url, 1000, target)).toMatchObject({ state: 'ready', health: { pid: process.pid } });
    const faults = await callLocalCloudControl('faults', {}, target);
    expect(faults.status).toBe(200);
  });

  it('a cloud started with another data folder is told apart from a stranger on the port', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'local-cloud-elsewhere-'));
    try {
      const target = resolveTarget({ ...cloud.env, LOCAL_CLOUD_DATA: elsewhere });
      expect(await probeLocalCloud(cloud.url, 1000, target)).toEqual({ state: 'foreign', status: 401 });
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe("GetFunction's Code.Location", () => {
  let location: URL;
  beforeAll(async () => {
    const role = await createLambdaRole(cloud, 'code-url-role');
    await deployFunction(lambda, { FunctionName: 'code-url', Role: role, Handler: 'index.echo', files: { 'index.mjs': fixture('esm/index.mjs') } });
    location = new URL((await lambda.send(new GetFunctionCommand({ FunctionName: 'code-url' }))).Code!.Location!);
  });

  it('is a signed URL that expires in ten minutes, and works without the token', async () => {
    const expires = Number(location.searchParams.get('Expires'));
    expect(expires - Date.now() / 1000).toBeGreaterThan(590);
    expect(expires - Date.now() / 1000).toBeLessThanOrEqual(600);
    const res = await fetch(location);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 2).toString('latin1')).toBe('PK');
  });

  it('refuses it tampered: signature, expiry, or another path', async () => {
    const tampered = (edit: (url: URL) => void) => {
      const url = new URL(location);
      edit(url);
      return fetch(url).then(async (res) => ({ status: res.status, text: await res.text() }));
    };
    const signature = await tampered((url) => url.searchParams.set('Signature', `x${url.searchParams.get('Signature')!.slice(1)}`));
    expect(signature.status).toBe(403);
    expect(signature.text).toContain('<Code>SignatureDoesNotMatch</Code>');

    const later = await tampered((url) => url.searchParams.set('Expires', String(Number(url.searchParams.get('Expires')) + 3600)));
    expect(later.status).toBe(403);
    expect(later.text).toContain('<Code>SignatureDoesNotMatch</Code>');

    const otherName = await tampered((url) => (url.pathname = url.pathname.replace('/code-url/', '/other/')));
    expect(otherName.status).toBe(403);
    expect(otherName.text).toContain('<Code>SignatureDoesNotMatch</Code>');

    const unsigned = await tampered((url) => (url.search = ''));
    expect(unsigned.status).toBe(403);
    expect(unsigned.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>AccessDenied<\/Code><Message>Query-string authentication requires/);
  });

  it('refuses it once expired, as S3 refuses a presigned URL', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 601_000);
      const res = await fetch(location);
      expect(res.status).toBe(403);
      const text = await res.text();
      expect(text).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message>');
      expect(text).toMatch(/<Expires>[^<]+<\/Expires><ServerTime>[^<]+<\/ServerTime>/);
    } finally {
      vi.useRealTimers();
    }
    expect((await fetch(location)).status).toBe(200);
  });

  it('cannot be fetched by another site, even signed', async () => {
    const res = await rawRequest(cloud.url, { path: location.pathname + location.search, headers: { ...CROSS_SITE_IMAGE, origin: EVIL } });
    expectCrossSiteRefusal(res);
  });
});

describe('what still works', () => {
  it("the cloud's own pages (Origin is the cloud's URL, Sec-Fetch-Site same-origin)", async () => {
    const own = await signed('sqs', { path: '/?Action=ListQueues', headers: { origin: cloud.url, 'sec-fetch-site': 'same-origin', referer: `${cloud.url}/` } });
    expect(own.status).toBe(200);
    expect(own.text).toContain(queueUrl);

    const localhost = `localhost:${cloud.port}`;
    const byName = await signed('sqs', {
      host: localhost,
      path: '/?Action=ListQueues',
      headers: { host: localhost, origin: `http://${localhost}`, 'sec-fetch-site': 'same-origin' },
    });
    expect(byName.status).toBe(200);

    // The same name on another scheme, or the other loopback name, is another origin.
    const https = await signed('sqs', { path: '/?Action=ListQueues', headers: { origin: `https://${host}` } });
    expectCrossSiteRefusal(https);
    const otherName = await signed('sqs', { path: '/?Action=ListQueues', headers: { origin: `http://${localhost}` } });
    expectCrossSiteRefusal(otherName);
  });

  it('an address typed into the browser (Sec-Fetch-Site: none)', async () => {
    const res = await rawRequest(cloud.url, {
      path: '/_localcloud/health',
      headers: { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'x-local-cloud-token': cloud.controlToken },
    });
    expect(res.status).toBe(200);
  });

  it("a deployed API, from any page, with CORS headers only where the API's own answer sets them", async () => {
    const page = { origin: EVIL, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' };
    const plain = await rawRequest(cloud.url, { path: `/restapis/${apiId}/prod/_user_request_/plain`, headers: page });
    expect(plain.status).toBe(200);
    expect(plain.text).toBe('hello /plain');
    expect(Object.keys(plain.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);

    const cors = await rawRequest(cloud.url, { path: `/restapis/${apiId}/prod/_user_request_/cors`, headers: page });
    expect(cors.status).toBe(200);
    expect(cors.headers['access-control-allow-origin']).toBe(EVIL);
  });

  it('no refusal anywhere carries a CORS grant', async () => {
    const res = await signed('sqs', { path: '/?Action=ListQueues', headers: { origin: EVIL } });
    expect(res.status).toBe(403);
    expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('the SDK and the aws CLI', async () => {
    const listed = await sqs.send(new ListQueuesCommand({}));
    expect(listed.QueueUrls).toContain(queueUrl);
    const cli = await cloud.aws('sqs', 'list-queues');
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.json.QueueUrls).toContain(queueUrl);
  });

  it('signed raw requests through fetch (as the other tests send them)', async () => {
    const res = await signedFetch(`${cloud.url}/?Action=ListQueues`, { service: 'sqs', method: 'GET' });
    expect(res.status).toBe(200);
  });
});

describe('hostile headers and paths', () => {
  it('a header too large for the server is refused (431, or the connection closed), and the cloud keeps serving', async () => {
    const res = await rawRequest(cloud.url, { path: '/_localcloud/health', headers: { origin: `http://${'a'.repeat(40_000)}.example` } }).catch(
      (err: Error) => ({ status: 0, headers: {}, text: err.message }),
    );
    expect([0, 431]).toContain(res.status);
    expect((await cloud.control('health')).status).toBe(200);
  });

  it('a long malformed Origin is refused, and quoted only in part', async () => {
    const res = await signed('sqs', { path: '/?Action=ListQueues', headers: { origin: `x${'<'.repeat(8000)}` } });
    expectCrossSiteRefusal(res);
    expect(res.text.length).toBeLessThan(1500);
  });

  it.each([
    ['null (a sandboxed frame or a file: page)', 'null'],
    ['an origin with a path', () => `${cloud.url}/path`],
    ['a bare scheme', 'http://'],
    ['__proto__', '__proto__'],
    ['the right host with user info', () => `http://evil@${host}`],
  ])('refuses Origin: %s', async (_what, origin) => {
    const value = typeof origin === 'function' ? origin() : origin;
    const res = await signed('sqs', { path: '/?Action=ListQueues', headers: { origin: value } });
    expectCrossSiteRefusal(res);
  });

  it('refuses repeated Origin or Sec-Fetch-Site headers, even when one looks right', async () => {
    const origins = await rawRequest(cloud.url, {
      path: '/_localcloud/health',
      headers: ['Host', host, 'Origin', cloud.url, 'Origin', EVIL, 'x-local-cloud-token', cloud.controlToken],
    });
    expectCrossSiteRefusal(origins);
    const sites = await rawRequest(cloud.url, {
      path: '/_localcloud/health',
      headers: ['Host', host, 'Sec-Fetch-Site', 'same-origin', 'Sec-Fetch-Site', 'cross-site', 'x-local-cloud-token', cloud.controlToken],
    });
    expectCrossSiteRefusal(sites);
    const tokens = await rawRequest(cloud.url, {
      path: '/_localcloud/health',
      headers: ['Host', host, 'x-local-cloud-token', cloud.controlToken, 'x-local-cloud-token', cloud.controlToken],
    });
    expect(tokens.status).toBe(403);
  });

  it('__proto__ in header names and control paths changes nothing and answers 4xx', async () => {
    const res = await rawRequest(cloud.url, {
      path: '/_localcloud/__proto__',
      headers: ['Host', host, '__proto__', 'x', 'constructor', 'y', 'x-local-cloud-token', cloud.controlToken],
    });
    expect(res.status).toBe(404);
    const code = await fetch(`${cloud.url}/_localcloud/lambda/code/__proto__/__proto__.zip?Expires=99999999999&Signature=x`);
    expect(code.status).toBe(403);
    expect(await code.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('a malformed percent-escape in a code URL is a 403, not a crash', async () => {
    const res = await fetch(`${cloud.url}/_localcloud/lambda/code/%E0%A4%A/abc.zip?Expires=1&Signature=x`);
    expect(res.status).toBe(403);
    expect((await cloud.control('health')).status).toBe(200);
  });

  it('an SNS signing certificate path needs no token (public on AWS); an unknown name is 404', async () => {
    const res = await fetch(`${cloud.url}/_localcloud/sns/SimpleNotificationService-local.pem`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('Not Found\n');
  });
});
