import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cloud } from '../cloud.ts';
import { signingMaterialOf } from '../sns/signing.ts';

/**
 * GET /_localcloud/sns/SimpleNotificationService-HASH.pem: the certificate whose key signs SNS
 * messages (their SigningCertURL). Public and unsigned, as AWS serves its own; any other name
 * under sns/ is 404, and only GET and HEAD are answered.
 */
export async function serveSigningCertificate(cloud: Cloud, req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method Not Allowed\n');
    return;
  }
  const material = await signingMaterialOf(cloud);
  if (name !== material.certificateFile) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n');
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'application/x-x509-ca-cert',
    'Content-Length': Buffer.byteLength(material.certificatePem),
    'Cache-Control': 'max-age=86400',
  });
  res.end(req.method === 'HEAD' ? undefined : material.certificatePem);
}
