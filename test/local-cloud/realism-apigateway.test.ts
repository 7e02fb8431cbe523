import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateRestApiCommand,
  DeleteRestApiCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';
import { RealismProfile } from '../../local-cloud/realism/profile.ts';
import { SERVICE_TIMING } from '../../local-cloud/realism/service-timing.ts';
import { waitFor } from '../../lib/wait.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { signedFetch } from '../support/signed-fetch.ts';

/**
 * API Gateway's fixed control-plane quotas under the realism profile: CreateDeployment 1 request
 * every 5 s and DeleteRestApi 1 every 30 s per account, refused with 429 TooManyRequestsException
 * "Too Many Requests" and a Retry-After. At scale 0.1 they are 0.5 s and 3 s.
 */

const SCALE = 0.1;
const scaled = (awsMs: number) => Math.round(awsMs * SCALE);
const POLL = { deadlineMs: 15_000, initialDelayMs: 20, maxDelayMs: 100 };

/** An API with one MOCK method on its root, ready to deploy. */
async function deployableApi(client: APIGatewayClient, name: string): Promise<string> {
  const api = await client.send(new CreateRestApiCommand({ name }));
  const ids = { restApiId: api.id!, resourceId: api.rootResourceId!, httpMethod: 'GET' };
  await client.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
  await client.send(new PutIntegrationCommand({ ...ids, type: 'MOCK' }));
  return api.id!;
}

/** Retries while throttled (the SDK's own retries are off here), answering once the call passes. */
function untilAllowed<T>(call: () => Promise<T>): Promise<T> {
  return waitFor('the quota to allow the call', () =>
    call().catch((err: { name?: string }) => {
      if (err.name !== 'TooManyRequestsException') throw err;
      return undefined;
    }), POLL);
}

describe('API Gateway quotas under the realism profile', () => {
  let cloud: TestCloud;
  let client: APIGatewayClient;

  beforeAll(async () => {
    cloud = await startTestCloud({ realism: RealismProfile.aws(SCALE) });
    // One attempt per call, so the throttling is seen rather than retried away.
    client = new APIGatewayClient({ ...cloud.clientConfig, maxAttempts: 1 });
  });
  afterAll(async () => {
    client?.destroy();
    await cloud?.close();
  });

  it('CreateDeployment: a second request within 5 s (scaled) → 429 TooManyRequestsException, for any API of the account', async () => {
    const first = await deployableApi(client, 'realism-deploy-a');
    const second = await deployableApi(client, 'realism-deploy-b');
    const allowedAt = Date.now();
    await client.send(new CreateDeploymentCommand({ restApiId: first, stageName: 'dev' }));

    const refused = await client.send(new CreateDeploymentCommand({ restApiId: second, stageName: 'dev' })).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      name: 'TooManyRequestsException',
      message: 'Too Many Requests',
      retryAfterSeconds: '1',
      $metadata: { httpStatusCode: 429 },
    });

    const deployment = await untilAllowed(() => client.send(new CreateDeploymentCommand({ restApiId: second, stageName: 'dev' })));
    expect(deployment.id).toMatch(/^[a-z0-9]{6}$/);
    expect(Date.now() - allowedAt).toBeGreaterThanOrEqual(scaled(SERVICE_TIMING.createDeploymentInterval));
  });

  it('on the wire: 429, x-amzn-errortype, the wait left in Retry-After (whole seconds), {"message": "Too Many Requests"}', async () => {
    const api = await deployableApi(client, 'realism-deploy-wire');
    await untilAllowed(() => client.send(new CreateDeploymentCommand({ restApiId: api })));
    const res = await signedFetch(`${cloud.url}/restapis/${api}/deployments`, {
      service: 'apigateway',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-amzn-errortype')).toBe('TooManyRequestsException');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ message: 'Too Many Requests' });
  });

  it('the SDK with its default retries waits out Retry-After and succeeds', async () => {
    const api = await deployableApi(client, 'realism-deploy-retried');
    const patient = new APIGatewayClient(cloud.clientConfig);
    try {
      await untilAllowed(() => client.send(new CreateDeploymentCommand({ restApiId: api })));
      const out = await patient.send(new CreateDeploymentCommand({ restApiId: api }));
      expect(out.$metadata.attempts).toBeGreaterThan(1);
    } finally {
      patient.destroy();
    }
  });

  it('DeleteRestApi: a second request within 30 s (scaled) → 429 TooManyRequestsException', async () => {
    const a = await client.send(new CreateRestApiCommand({ name: 'realism-delete-a' }));
    const b = await client.send(new CreateRestApiCommand({ name: 'realism-delete-b' }));
    const allowedAt = Date.now();
    await client.send(new DeleteRestApiCommand({ restApiId: a.id }));

    const refused = await client.send(new DeleteRestApiCommand({ restApiId: b.id })).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      name: 'TooManyRequestsException',
      message: 'Too Many Requests',
      retryAfterSeconds: '3',
      $metadata: { httpStatusCode: 429 },
    });
    await untilAllowed(() => client.send(new DeleteRestApiCommand({ restApiId: b.id })));
    expect(Date.now() - allowedAt).toBeGreaterThanOrEqual(scaled(SERVICE_TIMING.deleteRestApiInterval));
  });
});

describe('API Gateway with realism off', () => {
  let cloud: TestCloud;
  let client: APIGatewayClient;

  beforeAll(async () => {
    cloud = await startTestCloud();
    client = new APIGatewayClient({ ...cloud.clientConfig, maxAttempts: 1 });
  });
  afterAll(async () => {
    client?.destroy();
    await cloud?.close();
  });

  it('deployments and deletions back to back are not throttled', async () => {
    const a = await deployableApi(client, 'instant-a');
    const b = await deployableApi(client, 'instant-b');
    await client.send(new CreateDeploymentCommand({ restApiId: a, stageName: 'dev' }));
    await client.send(new CreateDeploymentCommand({ restApiId: b, stageName: 'dev' }));
    await client.send(new CreateDeploymentCommand({ restApiId: b }));
    await client.send(new DeleteRestApiCommand({ restApiId: a }));
    await client.send(new DeleteRestApiCommand({ restApiId: b }));
  });
});
