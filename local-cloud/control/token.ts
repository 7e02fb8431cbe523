import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The secret that opens the cloud's own endpoints (/_localcloud/health, faults, …). Anyone who can
 * read the data folder is the learner (or the learner's tools); a web page cannot read it.
 */
export const CONTROL_TOKEN_FILE = 'control-token';
/** Where a request carries it; `Authorization: Bearer TOKEN` works as well. */
export const CONTROL_TOKEN_HEADER = 'x-local-cloud-token';

/**
 * A new random token for this run. With a data folder it is written to DATA/control-token,
 * readable by the owner only; an in-memory cloud keeps it on the object startLocalCloud returns.
 */
export function issueControlToken(dataDir: string | null): string {
  const token = randomBytes(32).toString('base64url');
  if (dataDir) writePrivateFile(join(dataDir, CONTROL_TOKEN_FILE), `${token}\n`);
  return token;
}

/** Written whole under a temp name, then renamed: a reader never sees half a token, nor a file others may read. */
function writePrivateFile(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, text, { mode: 0o600 });
    chmodSync(temp, 0o600); // mode applies only to a new file; a leftover temp file keeps its own
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** The token a request presents, if any (x-local-cloud-token, or Authorization: Bearer). */
export function presentedToken(headers: NodeJS.Dict<string[]>): string | undefined {
  const own = headers[CONTROL_TOKEN_HEADER] ?? [];
  if (own.length > 0) return own.length === 1 ? own[0].trim() : '';
  const authorization = headers.authorization ?? [];
  const bearer = authorization.length === 1 ? /^Bearer\s+(\S+)\s*$/i.exec(authorization[0]) : null;
  return bearer ? bearer[1] : undefined;
}

/** Constant-time comparison (digests of both, so lengths cannot leak either). */
export function tokenMatches(presented: string, expected: string): boolean {
  if (!expected || !presented) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
