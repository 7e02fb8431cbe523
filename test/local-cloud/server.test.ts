import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { signedFetch } from '../support/signed-fetch.ts';

/** Malformed and unknown requests get AWS-style errors, and the server keeps serving. */
let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(() => cloud.close());

const scope = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;

/** POSTs signed for the service the scope names (the scope's fake signature is replaced by a real one). */
async function post(headers: Record<string, string>, body: string) {
  const { authorization, ...rest } = headers;
  const service = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(authorization ?? '')?.[1] ?? 'sts';
  const res = await signedFetch(cloud.url + '/', { service, method: 'POST', headers: rest, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('local cloud server', () => {
  it('answers its health probe', async () => {
    const res = await cloud.control('health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', region: 'us-east-1' });
  });

  it('rejects an unknown query action with InvalidAction in XML', async () => {
    const res = await post(
      { 'content-type': 'application/x-www-form-urlencoded', authorization: scope('sts') },
      'Action=MakeCoffee&Version=2011-06-15',
    );
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>InvalidAction</Code>');
    expect(res.text).toContain('The action MakeCoffee is not valid for this web service.');
    expect(res.text).toContain('<RequestId>');
  });

  it('rejects a form without Action as MissingParameter', async () => {
    const res = await post(
      { 'content-type': 'application/x-www-form-urlencoded', authorization: scope('iam') },
      'Version=2010-05-08',
    );
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>MissingParameter</Code>');
  });

  it('rejects an unknown JSON target with UnknownOperationException', async () => {
    const res = await post(
      { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'NoSuchService.DoThing', authorization: scope('x') },
      '{}',
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ __type: 'UnknownOperationException' });
  });

  it('rejects a body that is not JSON with SerializationException', async () => {
    const res = await post(
      { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues', authorization: scope('sqs') },
      '{not json',
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).__type).toMatch(/SerializationException$/);
  });

  it('answers an unknown REST path with 404 and keeps serving', async () => {
    const res = await signedFetch(`${cloud.url}/no/such/path`, { service: 'lambda', method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    const again = await cloud.control('health');
    expect(again.status).toBe(200);
  });

  it('survives a client that hangs up mid-request', async () => {
    const { request } = await import('node:http');
    await new Promise<void>((resolve) => {
      const req = request(cloud.url, { method: 'POST', headers: { 'content-length': '1000' } });
      req.on('error', () => resolve());
      req.write('Action=');
      setImmediate(() => {
        req.destroy();
        resolve();
      });
    });
    const res = await cloud.control('health');
    expect(res.status).toBe(200);
  });
});
