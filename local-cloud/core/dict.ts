/**
 * Maps keyed by names a client chooses (attribute names, tags, variables, HTTP methods...).
 * They have no prototype, so "__proto__", "constructor" or "toString" is an ordinary key: it is
 * neither dropped nor able to reach Object.prototype, and looking up an absent name finds nothing.
 * (Spread and computed keys, `{ ...a, [name]: v }`, also define own keys and are safe to use.)
 */
export type Dict<T> = Record<string, T>;

export function dict<T>(from?: Readonly<Record<string, T>> | Iterable<readonly [string, T]>): Dict<T> {
  const out = Object.create(null) as Dict<T>;
  if (!from) return out;
  const entries = Symbol.iterator in from ? (from as Iterable<readonly [string, T]>) : Object.entries(from);
  for (const [key, value] of entries) out[key] = value;
  return out;
}

/** The value under an own key only, never one inherited from Object.prototype. */
export function own<T>(map: Readonly<Record<string, T>> | undefined | null, key: string): T | undefined {
  return map != null && Object.hasOwn(map, key) ? map[key] : undefined;
}
