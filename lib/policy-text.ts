/** What the statements of a policy allow, in a few words, for a step's ✔ line: "Allow sqs:SendMessage on arn:…". */
export function granted(statements: readonly unknown[]): string {
  const list = (value: unknown) => (Array.isArray(value) ? value.join(', ') : String(value));
  return statements
    .map((s) => s as { Effect?: string; Action?: unknown; Resource?: unknown })
    .map((s) => `${s.Effect} ${list(s.Action)} on ${list(s.Resource)}`)
    .join('; ');
}
