/**
 * Just enough DER (ASN.1's distinguished encoding) to write one self-signed X.509 certificate:
 * node:crypto reads certificates (X509Certificate) but cannot make one.
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One element: tag, length, content. */
export function element(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

export const sequence = (...items: Buffer[]) => element(0x30, Buffer.concat(items));
export const set = (...items: Buffer[]) => element(0x31, Buffer.concat(items));
export const nullValue = () => element(0x05, Buffer.alloc(0));
export const utf8String = (text: string) => element(0x0c, Buffer.from(text, 'utf8'));
export const octetString = (content: Buffer) => element(0x04, content);
export const bitString = (content: Buffer) => element(0x03, Buffer.concat([Buffer.from([0]), content]));
export const boolean = (value: boolean) => element(0x01, Buffer.from([value ? 0xff : 0]));
/** [n] EXPLICIT: a constructed, context-specific wrapper. */
export const explicit = (n: number, content: Buffer) => element(0xa0 + n, content);

/** A non-negative INTEGER from its big-endian bytes (a leading zero keeps it positive). */
export function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return element(0x02, trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function objectIdentifier(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const groups: number[] = [];
    for (let value = arc; ; value = Math.floor(value / 128)) {
      groups.unshift((value & 0x7f) | (groups.length ? 0x80 : 0));
      if (value < 128) break;
    }
    bytes.push(...groups);
  }
  return element(0x06, Buffer.from(bytes));
}

/** UTCTime (years 1950–2049) or GeneralizedTime, as X.509 validity requires. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-01-02T03:04:05.678Z
  const compact = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'; // 20260102030405Z
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? element(0x17, Buffer.from(compact.slice(2), 'ascii')) : element(0x18, Buffer.from(compact, 'ascii'));
}
