/**
 * Turns a Lambda proxy response into the HTTP response API Gateway sends, or reports it
 * malformed (API Gateway then answers 502). The rules are AWS's: a JSON object with only
 * statusCode, headers, multiValueHeaders, body and isBase64Encoded; statusCode a number or a
 * numeric string (200 when absent, but an empty object is malformed); headers may be null;
 * header values scalars; multiValueHeaders values lists; body a string.
 */
export interface ProxyHttpResponse {
  statusCode: number;
  /** Header name (as the function spelled it) to value; repeated names joined with ", ". */
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

const ALLOWED_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);

export type ParsedProxyResponse = { ok: true; response: ProxyHttpResponse } | { ok: false; reason: string };

export function parseProxyResponse(payload: Buffer): ParsedProxyResponse {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return malformed('the payload is not JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return malformed('the payload is not a JSON object');
  const out = value as Record<string, unknown>;
  const keys = Object.keys(out);
  if (keys.length === 0) return malformed('the payload is an empty object');
  const extra = keys.filter((k) => !ALLOWED_KEYS.has(k));
  if (extra.length) return malformed(`unexpected field ${extra.map((k) => `"${k}"`).join(', ')}`);

  const statusCode = parseStatusCode(out.statusCode);
  if (statusCode === undefined) return malformed(`statusCode ${JSON.stringify(out.statusCode)} is not a valid status code`);

  const merged = new Map<string, { name: string; values: string[] }>();
  const add = (name: string, value: string) => {
    const entry = merged.get(name.toLowerCase()) ?? { name, values: [] };
    entry.values.push(value);
    merged.set(name.toLowerCase(), entry);
  };
  if (out.multiValueHeaders != null) {
    if (typeof out.multiValueHeaders !== 'object' || Array.isArray(out.multiValueHeaders)) {
      return malformed('multiValueHeaders is not an object');
    }
    for (const [name, values] of Object.entries(out.multiValueHeaders)) {
      if (values == null) continue;
      if (!Array.isArray(values) || !values.every(isScalar)) return malformed(`multiValueHeaders["${name}"] is not a list of strings`);
      for (const v of values) add(name, String(v));
    }
  }
  if (out.headers != null) {
    if (typeof out.headers !== 'object' || Array.isArray(out.headers)) return malformed('headers is not an object');
    for (const [name, v] of Object.entries(out.headers)) {
      if (v == null) continue;
      if (!isScalar(v)) return malformed(`headers["${name}"] is not a string`);
      add(name, String(v));
    }
  }

  if (out.body != null && typeof out.body !== 'string') return malformed('body is not a string');
  if (out.isBase64Encoded != null && typeof out.isBase64Encoded !== 'boolean') return malformed('isBase64Encoded is not a boolean');

  const headers = Object.fromEntries([...merged.values()].map((e) => [e.name, e.values.join(', ')]));
  return {
    ok: true,
    response: { statusCode, headers, body: (out.body as string | null) ?? '', isBase64Encoded: out.isBase64Encoded === true },
  };
}

function parseStatusCode(value: unknown): number | undefined {
  if (value === undefined || value === null) return 200;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function malformed(reason: string): ParsedProxyResponse {
  return { ok: false, reason };
}
