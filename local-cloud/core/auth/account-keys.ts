/**
 * The account's own key pair: the learner's credentials, answered as the account's admin.
 * `test`/`test` by default, as emulators use; LOCAL_CLOUD_ACCESS_KEY_ID and
 * LOCAL_CLOUD_SECRET_ACCESS_KEY change it (the workbook's scripts read the same variables).
 */
export interface AccountKeys {
  accessKeyId: string;
  secretAccessKey: string;
  /** True while the secret is the public default, so hints may name it. */
  defaultSecret: boolean;
}

export const DEFAULT_ACCOUNT_KEYS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

export function accountKeysFrom(env: NodeJS.ProcessEnv = process.env): AccountKeys {
  const accessKeyId = env.LOCAL_CLOUD_ACCESS_KEY_ID?.trim() || DEFAULT_ACCOUNT_KEYS.accessKeyId;
  const secretAccessKey = env.LOCAL_CLOUD_SECRET_ACCESS_KEY?.trim() || DEFAULT_ACCOUNT_KEYS.secretAccessKey;
  return { accessKeyId, secretAccessKey, defaultSecret: secretAccessKey === DEFAULT_ACCOUNT_KEYS.secretAccessKey };
}
