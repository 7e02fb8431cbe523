import { sqsErrors } from './errors.ts';

// The characters SQS accepts in bodies and string attributes (the XML 1.0 character set).
const INVALID_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** The code point of the first character SQS would reject, or undefined. */
export function findInvalidCharacter(text: string): number | undefined {
  const match = INVALID_CHARACTER.exec(text);
  return match ? match[0].codePointAt(0) : undefined;
}

/** SendMessage's checks on the body: present, non-empty, and only allowed characters. */
export function validateBody(body: unknown): string {
  if (typeof body !== 'string' || body === '') throw sqsErrors.missingParameter('MessageBody');
  const bad = findInvalidCharacter(body);
  if (bad !== undefined) throw sqsErrors.invalidMessageContents(bad);
  return body;
}
