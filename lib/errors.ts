/**
 * A problem the learner can fix: what is wrong, and what to do about it
 * (a file, a setting or a command). Scripts print it as ✘ + hint and exit 1.
 */
export class WorkbookError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'WorkbookError';
  }
}

/** The name an SDK v3 error (or a Node network error) goes by. */
export function errorName(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: string; code?: string; cause?: { code?: string } };
    if (e.code && /^E[A-Z]+$/.test(e.code)) return e.code; // ECONNREFUSED and friends
    if (e.cause?.code && /^E[A-Z]+$/.test(e.cause.code)) return e.cause.code;
    if (e.name) return e.name;
  }
  return 'Error';
}

/** What to do about the errors a learner meets most, beyond the lesson's own checks. */
export function hintFor(err: unknown): string | undefined {
  const name = errorName(err);
  const message = err instanceof Error ? err.message : '';
  if (name === 'ECONNREFUSED' || name === 'ECONNRESET' || name === 'ENOTFOUND') {
    return 'Nothing answers at the endpoint. For the local cloud run `npm run local` in another terminal; for LocalStack, start it or remove AWS_ENDPOINT_URL.';
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    return 'No AWS credentials were found. Sign in (`aws sso login --profile NAME` and set AWS_PROFILE=NAME in .env), or go back to WORKBOOK_TARGET=local.';
  }
  if (/ExpiredToken|TokenRefreshRequired|expired/i.test(name + message)) {
    return 'Your AWS session has expired: sign in again (`aws sso login`), then rerun the command.';
  }
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/.test(name)) {
    return 'Your AWS identity may not do this. Use a profile with rights to the services the workbook uses (see steps/00-setup/README.md).';
  }
  return undefined;
}
