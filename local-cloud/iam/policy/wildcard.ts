/**
 * IAM's wildcards: `*` matches any run of characters (including none, and including ":" and "/"),
 * `?` matches exactly one character. Nothing else is special, so a pattern is never a regex.
 */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  // Greedy match with backtracking to the last star: linear for typical patterns, no regex.
  let pi = 0;
  let vi = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (vi < v.length) {
    if (pi < p.length && p[pi] === '*') {
      starAt = pi++;
      resumeAt = vi;
    } else if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (starAt !== -1) {
      pi = starAt + 1;
      vi = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Actions compare case-insensitively ("SQS:sendmessage" is "sqs:SendMessage"). */
export function actionMatches(pattern: string, action: string): boolean {
  return wildcardMatch(pattern, action, true);
}

/** Resources compare case-sensitively. */
export function resourceMatches(pattern: string, resource: string): boolean {
  return wildcardMatch(pattern, resource, false);
}

/**
 * ARN condition operators compare each of the six colon-separated parts on its own
 * (arn:partition:service:region:account:resource), so a `*` in the region cannot swallow the
 * account. The resource part keeps any further colons. A pattern or value that is not a
 * six-part ARN never matches, except the pattern "*" which matches anything.
 */
export function arnMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const patternParts = arnParts(pattern);
  const valueParts = arnParts(value);
  if (!patternParts || !valueParts) return false;
  return patternParts.every((part, i) => wildcardMatch(part, valueParts[i]));
}

function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}
