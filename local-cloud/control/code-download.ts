import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Cloud } from '../cloud.ts';
import { verifyCodeUrl } from './code-url.ts';

/** lambda/code/NAME/HASH.zip, under /_localcloud/. */
export const CODE_DOWNLOAD_PATH = /^lambda\/code\/([^/]+)\/([^/]+)\.zip$/;

/**
 * Serves a Code.Location URL: the signature and expiry first (so an unsigned request learns
 * nothing, not even whether the function exists), then the zip. Errors in S3's XML shape, as a
 * presigned S3 URL answers them.
 */
export function downloadCode(cloud: Cloud, res: ServerResponse, url: URL, rawName: string, rawHash: string): void {
  const functionName = decoded(rawName);
  const codeHash = decoded(rawHash);
  if (functionName === undefined || codeHash === undefined) {
    return writeS3Error(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  const verdict = verifyCodeUrl(functionName, codeHash, url.searchParams);
  if (!verdict.ok) {
    const expiry: Record<string, string> =
      verdict.expires === undefined
        ? {}
        : { Expires: new Date(verdict.expires * 1000).toISOString(), ServerTime: new Date().toISOString() };
    return writeS3Error(res, 403, verdict.code, verdict.message, expiry);
  }
  const zip = cloud.lambda.codeZip(functionName, codeHash);
  if (!zip) return writeS3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
  res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length, 'x-amz-request-id': randomUUID() });
  res.end(zip);
}

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function writeS3Error(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  const requestId = randomUUID();
  const fields = Object.entries({ Code: code, Message: message, ...extra, RequestId: requestId })
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': requestId });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error>${fields}</Error>`);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
