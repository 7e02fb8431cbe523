import { randomBytes } from 'node:crypto';

/**
 * Temporary credentials the cloud issues for a role session, the way Lambda gives a function
 * its execution role's credentials. Requests signed with them are the assumed-role caller
 * (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), which IAM then evaluates against the role's
 * policies. Sessions live in memory: the workers holding them do not survive a restart either.
 */
export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** arn:aws:iam::ACCOUNT:role/PATH/NAME */
  roleArn: string;
  /** The function name, for Lambda. */
  sessionName: string;
  expiration: Date;
}

const SESSION_HOURS = 12;
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export class SessionIssuer {
  private readonly sessions = new Map<string, RoleSession>();

  issue(roleArn: string, sessionName: string): RoleSession {
    const session: RoleSession = {
      // AWS marks temporary keys with the ASIA prefix (long-term keys start with AKIA).
      accessKeyId: `ASIA${randomKey(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
      roleArn,
      sessionName,
      expiration: new Date(Date.now() + SESSION_HOURS * 3600_000),
    };
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  /** The live session an access key belongs to, if the cloud issued it. */
  find(accessKeyId: string): RoleSession | undefined {
    const session = this.sessions.get(accessKeyId);
    if (session && session.expiration.getTime() <= Date.now()) {
      this.sessions.delete(accessKeyId);
      return undefined;
    }
    return session;
  }

  /** Forgets a session whose holder is gone (a retired worker), so the map stays small. */
  revoke(accessKeyId: string): void {
    this.sessions.delete(accessKeyId);
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** The name part of a role ARN: arn:aws:iam::A:role/service-role/NAME → NAME. */
export function roleNameOf(roleArn: string): string {
  const resource = roleArn.slice(roleArn.indexOf(':role/') + ':role/'.length);
  return resource.slice(resource.lastIndexOf('/') + 1);
}

function randomKey(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += KEY_ALPHABET[byte % KEY_ALPHABET.length];
  return out;
}
