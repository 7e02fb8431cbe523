/**
 * How deeply a JSON text nests arrays and objects, found without parsing it (strings skipped),
 * so a body nested 100,000 deep is refused before any recursive code walks it.
 * Stops counting once `limit` is passed.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Whether a JSON text has an object key "__proto__" anywhere (found by parsing it with a reviver). */
export function hasProtoKey(text: string): boolean {
  // Only a literal "__proto__" or an escape sequence can spell that key: most bodies skip the parse.
  if (!text.includes('__proto__') && !text.includes('\\u')) return false;
  let found = false;
  try {
    JSON.parse(text, function (this: unknown, key: string, value: unknown) {
      if (key === '__proto__' && this !== null && typeof this === 'object' && !Array.isArray(this)) found = true;
      return value;
    });
  } catch {
    return false;
  }
  return found;
}
