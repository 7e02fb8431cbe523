import type { AccountKeys } from './account-keys.ts';

/**
 * What the local cloud adds to AWS's wording when a learner signs with keys it does not take
 * (most often their real AWS keys, still in the environment). The AWS code stays; the hint says
 * which credentials work here. It never shows a secret the learner chose.
 */
function acceptedCredentials(keys: AccountKeys): string {
  const secret = keys.defaultSecret ? keys.secretAccessKey : '<the value of LOCAL_CLOUD_SECRET_ACCESS_KEY>';
  return `AWS_ACCESS_KEY_ID=${keys.accessKeyId} AWS_SECRET_ACCESS_KEY=${secret}`;
}

export const hints = {
  unknownKey: (keys: AccountKeys, accessKeyId: string) =>
    ` (Local cloud: access key id "${clip(accessKeyId)}" is not one it accepts${
      accessKeyId.startsWith('AKIA') ? '; real AWS keys never are' : ''
    }. It accepts the account's key "${keys.accessKeyId}": set ${acceptedCredentials(keys)}.)`,

  wrongSecret: (keys: AccountKeys) =>
    `(Local cloud: the secret does not match access key id "${keys.accessKeyId}": set ${acceptedCredentials(keys)}.)`,

  /** The account's key with a session token: the token belongs to other credentials (SSO, a role). */
  strayToken: (keys: AccountKeys) =>
    ` (Local cloud: access key id "${keys.accessKeyId}" takes no session token; unset AWS_SESSION_TOKEN.)`,

  wrongRegion: (region: string) => ` (Local cloud: its region is ${region}; set AWS_REGION=${region}.)`,
};

/** Key ids come from the request: keep them short in messages and logs. */
function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
