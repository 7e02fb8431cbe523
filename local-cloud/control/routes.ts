import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Cloud } from '../cloud.ts';
import { readBody } from '../core/http/body.ts';
import { writeRest } from '../protocol/restJson.ts';
import { CODE_DOWNLOAD_PATH, downloadCode } from './code-download.ts';
import { tokenRefusal, writeTokenRefusal } from './require-token.ts';
import { serveSigningCertificate } from './sns-certificate.ts';
import { handleDashboard, isDashboardPath } from '../dashboard/routes.ts';

/**
 * The cloud's own endpoints under /_localcloud/: not AWS APIs, so not signed the AWS way. They
 * need the control token (token.ts), except downloads that are public on AWS too: Code.Location
 * URLs (signed and short-lived instead, code-url.ts) and the SNS signing certificate
 * (SigningCertURL, under sns/; a public certificate, as AWS's is).
 */
export const CONTROL_PREFIX = '/_localcloud/';
const PUBLIC_PREFIXES = ['sns/'];

export function isControlPath(pathname: string): boolean {
  return pathname.startsWith(CONTROL_PREFIX);
}

export async function handleControl(cloud: Cloud, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname.slice(CONTROL_PREFIX.length);
  const code = CODE_DOWNLOAD_PATH.exec(path);
  if (code && (req.method === 'GET' || req.method === 'HEAD')) return downloadCode(cloud, res, url, code[1], code[2]);

  if (path.startsWith('sns/')) return serveSigningCertificate(cloud, req, res, path.slice('sns/'.length));
  // The dashboard checks the token itself: its page files are public, its event stream takes a ticket.
  if (isDashboardPath(path)) return handleDashboard(cloud, req, res, url, path);
  const isPublic = PUBLIC_PREFIXES.some((prefix) => path.startsWith(prefix));
  const refused = isPublic ? undefined : tokenRefusal(req, cloud.controlToken);
  if (refused) {
    writeTokenRefusal(res, refused);
    const action = `${req.method ?? '?'} ${CONTROL_PREFIX}${path.slice(0, 40)}`;
    cloud.log({ service: 'control', action, status: refused.status, error: `${refused.code}: ${refused.message}` });
    return;
  }
  if (path === 'health') {
    const realism = cloud.realism.enabled ? { name: 'aws', scale: cloud.realism.scale } : { name: 'off' };
    writeRest(res, randomUUID(), { body: { status: 'ready', pid: process.pid, region: cloud.region, realism } });
    return;
  }
  if (path === 'faults') return handleFaults(cloud, req, res);
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
