/**
 * The token stream of a filter policy, as the streaming parser behind SNS's validation reads it.
 * SNS checks a policy's structure token by token over its compact form ({"key":[…]}) and points
 * at the spot where it stopped: "at [Source: (String)"{…}"; line: 1, column: 22]". The column
 * depends on what the check had read: past a number, literal or bracket; just past the opening
 * quote of a string it only looked at; past the closing quote of a string whose text it read.
 */
export type TokenKind = '{' | '}' | '[' | ']' | 'string' | 'number' | 'true' | 'false' | 'null';

export interface Token {
  kind: TokenKind;
  /** The token as written (a string without its quotes, unescaped). */
  text: string;
  /** Offsets into the compact text: first character, one past the last. */
  start: number;
  end: number;
}

/** Tokens of valid compact JSON (as JSON.stringify writes it); commas and colons are not tokens. */
export function tokenize(compact: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < compact.length) {
    const c = compact[i];
    if (c === ',' || c === ':') {
      i++;
    } else if (c === '{' || c === '}' || c === '[' || c === ']') {
      tokens.push({ kind: c, text: c, start: i, end: i + 1 });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (compact[j] !== '"') j += compact[j] === '\\' ? 2 : 1;
      tokens.push({ kind: 'string', text: JSON.parse(compact.slice(i, j + 1)) as string, start: i, end: j + 1 });
      i = j + 1;
    } else {
      const match = /^(true|false|null|-?[0-9][0-9.eE+-]*)/.exec(compact.slice(i))!;
      const text = match[0];
      const kind: TokenKind = text === 'true' || text === 'false' || text === 'null' ? text : 'number';
      tokens.push({ kind, text, start: i, end: i + text.length });
      i += text.length;
    }
  }
  return tokens;
}

/**
 * The 1-based column the parser reports with `token` current: just after the opening quote of
 * a string whose text was not read, otherwise just after the token.
 */
export function columnAt(token: Token, textRead: boolean): number {
  return token.kind === 'string' && !textRead ? token.start + 2 : token.end + 1;
}
