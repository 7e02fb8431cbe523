import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Cloud } from '../cloud.ts';
import { replayRequest } from '../dynamodb/authorize.ts';

/**
 * DynamoDB calls the dashboard makes on the cloud's own tables, in-process: straight to dynalite,
 * not over HTTP, so they need no keys and do not show up in the live log as if the learner made them.
 */
export class DynamoDbCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function callDynamoDb<T>(cloud: Cloud, operation: string, input: unknown): Promise<T> {
  const body = Buffer.from(JSON.stringify(input));
  const request = {
    method: 'POST',
    url: '/',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      // dynalite wants a SigV4-shaped header; the cloud itself is the caller.
      authorization: `AWS4-HMAC-SHA256 Credential=local-cloud/20200101/${cloud.region}/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
      'x-amz-date': '20200101T000000Z',
      'content-length': String(body.length),
    },
  } as unknown as IncomingMessage;
  const { res, answer } = capturedResponse();
  await cloud.dynamodb.handle(replayRequest(request, body), res);
  const { status, text } = await answer;
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (status !== 200) {
    const code = String(parsed.__type ?? 'Error').split('#').pop() ?? 'Error';
    throw new DynamoDbCallError(code, String(parsed.message ?? parsed.Message ?? code));
  }
  return parsed as T;
}

/** Enough of a ServerResponse for dynalite: status, headers, one body. */
function capturedResponse(): { res: ServerResponse; answer: Promise<{ status: number; text: string }> } {
  const chunks: Buffer[] = [];
  let settle!: (value: { status: number; text: string }) => void;
  const answer = new Promise<{ status: number; text: string }>((resolve) => (settle = resolve));
  const sink = new PassThrough();
  const res = Object.assign(sink, {
    statusCode: 200,
    headersSent: false,
    setHeader: () => res,
    getHeader: () => undefined,
    removeHeader: () => undefined,
    writeHead(status: number) {
      res.statusCode = status;
      return res;
    },
  });
  sink.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  sink.on('finish', () => settle({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
  sink.resume();
  return { res: res as unknown as ServerResponse, answer };
}
