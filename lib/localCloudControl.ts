import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveTarget, type Target } from './config.ts';
import { CONTROL_TOKEN_FILE, CONTROL_TOKEN_HEADER } from '../local-cloud/control/token.ts';

/**
 * The local cloud's own endpoints (/_localcloud/health, /_localcloud/faults) open only with the
 * token it writes into its data folder at every start, so a web page cannot use them. The
 * workbook reads it from there, for the target's data folder (LOCAL_CLOUD_DATA).
 */
export function localCloudToken(target: Target = resolveTarget()): string | undefined {
  if (!target.localCloud) return undefined;
  try {
    return readFileSync(join(target.localCloud.dataDir, CONTROL_TOKEN_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined; // not started yet, or started with another data folder
  }
}

/** Headers that carry the token (none when there is no token to read). */
export function localCloudControlHeaders(target: Target = resolveTarget()): Record<string, string> {
  const token = localCloudToken(target);
  return token ? { [CONTROL_TOKEN_HEADER]: token } : {};
}

/** fetch() of ENDPOINT/_localcloud/PATH with the token, e.g. callLocalCloudControl('faults', { method: 'POST', body }). */
export function callLocalCloudControl(path: string, init: RequestInit = {}, target: Target = resolveTarget()): Promise<Response> {
  const headers = { ...localCloudControlHeaders(target), ...(init.headers as Record<string, string> | undefined) };
  return fetch(`${target.endpoint}/_localcloud/${path}`, { ...init, headers });
}
