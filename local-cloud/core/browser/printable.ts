/** A header value as a message may quote it: printable ASCII only, and short (values come from anyone). */
export function printable(value: string, max = 80): string {
  const plain = value.replace(/[^\x20-\x7e]/g, '?');
  return plain.length > max ? `${plain.slice(0, max)}…` : plain;
}
