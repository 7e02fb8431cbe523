import { execFileSync } from 'node:child_process';
import { createVerify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/**
 * SNS messages carry an RSA signature (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA) over
 * AWS's canonical string, and SigningCertURL serves the certificate that verifies it. Verified
 * here the way AWS documents for endpoints: fetch the certificate, rebuild the string from the
 * message's own fields, check the signature with the certificate's public key.
 */
let dataDir: string;
let cloud: TestCloud;
let sns: SNSClient;
let sqs: SQSClient;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fidelity-sns-signing-'));
  cloud = await startTestCloud({ dataDir });
  sns = new SNSClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(async () => {
  await cloud?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

type SnsDocument = Record<string, string | null | undefined>;

/** AWS's documented string to sign, from the message's own fields. */
function stringToSign(m: SnsDocument): string {
  const fields =
    m.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields
    .filter((f) => m[f] !== undefined && m[f] !== null)
    .map((f) => `${f}\n${m[f]}\n`)
    .join('');
}

/** What an endpoint does: fetch SigningCertURL (no credentials), verify with its public key. */
async function verify(m: SnsDocument): Promise<boolean> {
  const response = await fetch(m.SigningCertURL!);
  expect(response.status).toBe(200);
  const certificate = new X509Certificate(await response.text());
  const algorithm = m.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1';
  return createVerify(algorithm).update(stringToSign(m), 'utf8').verify(certificate.publicKey, m.Signature!, 'base64');
}

async function topicWithQueue(name: string, attributes?: Record<string, string>): Promise<{ topicArn: string; url: string }> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }));
  const arn = `arn:aws:sqs:us-east-1:000000000000:${name}-q`;
  const Policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: arn, Condition: { ArnEquals: { 'aws:SourceArn': TopicArn } } }],
  });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-q`, Attributes: { Policy } }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: arn }));
  return { topicArn: TopicArn!, url: QueueUrl! };
}

async function receiveEnvelopes(url: string, count: number): Promise<SnsDocument[]> {
  const out: SnsDocument[] = [];
  const deadline = Date.now() + 10_000;
  while (out.length < count && Date.now() < deadline) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }));
    for (const m of Messages ?? []) out.push(JSON.parse(m.Body!) as SnsDocument);
  }
  return out;
}

describe('SNS message signatures', () => {
  it('SignatureVersion 1 (SHA1withRSA): notifications with and without Subject verify; a tampered one does not', async () => {
    const { topicArn, url } = await topicWithQueue('signed-v1');
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'order 42 shipped', Subject: 'Order update' }));
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: '{"order":"43","note":"naïve ünïcode ✓"}' }));
    const envelopes = await receiveEnvelopes(url, 2);
    expect(envelopes).toHaveLength(2);
    for (const m of envelopes) {
      expect(m.SignatureVersion).toBe('1');
      expect(Buffer.from(m.Signature!, 'base64')).toHaveLength(256); // RSA-2048
      expect(await verify(m)).toBe(true);
      expect(await verify({ ...m, Message: `${m.Message} (changed)` })).toBe(false);
      expect(await verify({ ...m, SignatureVersion: '2' })).toBe(false);
    }
  });

  it('SignatureVersion 2 (SHA256withRSA) when the topic says so', async () => {
    const { topicArn, url } = await topicWithQueue('signed-v2', { SignatureVersion: '2' });
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'v2', Subject: 'S' }));
    const [m] = await receiveEnvelopes(url, 1);
    expect(m.SignatureVersion).toBe('2');
    expect(await verify(m)).toBe(true);
    expect(await verify({ ...m, SignatureVersion: '1' })).toBe(false);
  });

  it('a SubscriptionConfirmation POSTed to an HTTP endpoint verifies', async () => {
    const received: SnsDocument[] = [];
    let arrived!: () => void;
    const confirmation = new Promise<void>((resolve) => (arrived = resolve));
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push(JSON.parse(body) as SnsDocument);
        res.end();
        arrived();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'signed-http' }));
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sns`;
      await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: endpoint }));
      await confirmation;
      const [m] = received;
      expect(m.Type).toBe('SubscriptionConfirmation');
      expect(m.Token).toBeTruthy();
      expect(await verify(m)).toBe(true);
      expect(await verify({ ...m, Token: 'forged' })).toBe(false);
    } finally {
      server.close();
    }
  });

  it('the certificate is a well-formed self-signed X.509 certificate (openssl agrees), served without a token', async () => {
    const { topicArn, url } = await topicWithQueue('signed-cert');
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'm' }));
    const [m] = await receiveEnvelopes(url, 1);
    expect(m.SigningCertURL).toMatch(/\/_localcloud\/sns\/SimpleNotificationService-[0-9a-f]{32}\.pem$/);
    const response = await fetch(m.SigningCertURL!);
    const pem = await response.text();
    const certificate = new X509Certificate(pem);
    expect(certificate.verify(certificate.publicKey)).toBe(true); // self-signed
    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(Date.parse(certificate.validTo)).toBeGreaterThan(Date.now() + 365 * 24 * 3600 * 1000);
    const file = join(dataDir, 'served.pem');
    writeFileSync(file, pem);
    expect(execFileSync('openssl', ['verify', '-CAfile', file, file], { encoding: 'utf8' })).toContain(': OK');

    const head = await fetch(m.SigningCertURL!, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const post = await fetch(m.SigningCertURL!, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    for (const bad of ['__proto__', '..%2Fcontrol-token', 'x'.repeat(5000), '']) {
      expect((await fetch(`${cloud.url}/_localcloud/sns/${bad}`)).status).toBe(404);
    }
  });

  it('the key is kept in the data folder (owner-only) and survives a restart: old signatures still verify', async () => {
    const { topicArn, url } = await topicWithQueue('signed-restart');
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'before restart' }));
    const [before] = await receiveEnvelopes(url, 1);
    expect(statSync(join(dataDir, 'sns', 'signing', 'private-key.pem')).mode & 0o777).toBe(0o600);
    await cloud.close();
    cloud = await startTestCloud({ dataDir });
    sns = new SNSClient(cloud.clientConfig);
    sqs = new SQSClient(cloud.clientConfig);
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'after restart' }));
    const [after] = await receiveEnvelopes(url, 1);
    expect(new URL(after.SigningCertURL!).pathname).toBe(new URL(before.SigningCertURL!).pathname);
    const port = new URL(cloud.url).port;
    const moved = (m: SnsDocument) => ({ ...m, SigningCertURL: m.SigningCertURL!.replace(/:\d+\//, `:${port}/`) });
    expect(await verify(moved(before))).toBe(true);
    expect(await verify(after)).toBe(true);
  });
});
