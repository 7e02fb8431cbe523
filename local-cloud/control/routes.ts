import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Cloud } from '../cloud.ts';
import { readBody } from '../core/http/body.ts';
import { writeRest } from '../protocol/restJson.ts';

/** The cloud's own endpoints under /_localcloud/: not AWS APIs, so not signed the AWS way. */
export const CONTROL_PREFIX = '/_localcloud/';

export function isControlPath(pathname: string): boolean {
  return pathname.startsWith(CONTROL_PREFIX);
}

export async function handleControl(cloud: Cloud, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname.slice(CONTROL_PREFIX.length);
  if (path === 'health') {
    writeRest(res, randomUUID(), { body: { status: 'ready', pid: process.pid, region: cloud.region } });
    return;
  }
  if (path === 'faults') return handleFaults(cloud, req, res);
  const code = /^lambda\/code\/([^/]+)\/([^/]+)\.zip$/.exec(path);
  if (code && req.method === 'GET') return downloadCode(cloud, res, code[1], code[2]);
  writeRest(res, randomUUID(), { status: 404, body: { message: `No such endpoint: ${url.pathname}` } });
}

/** GET shows the fault switches; POST sets them, e.g. {"roleNotAssumableFor": N} (see core/faults.ts). */
async function handleFaults(cloud: Cloud, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (req.method === 'POST') cloud.faults.set(JSON.parse((await readBody(req)).toString('utf8') || '{}'));
    writeRest(res, randomUUID(), { body: cloud.faults.current() });
  } catch (err) {
    writeRest(res, randomUUID(), { status: 400, body: { message: (err as Error).message } });
  }
}

/** GetFunction's Code.Location: where the uploaded zip can be downloaded (a presigned S3 URL on AWS). */
function downloadCode(cloud: Cloud, res: ServerResponse, functionName: string, hash: string): void {
  const zip = cloud.lambda.codeZip(decodeURIComponent(functionName), hash);
  if (!zip) {
    writeRest(res, randomUUID(), { status: 404, body: { Code: 'NoSuchKey', Message: 'The specified key does not exist.' } });
    return;
  }
  writeRest(res, randomUUID(), { headers: { 'content-type': 'application/zip' }, body: zip });
}
