/**
 * SNS parses JSON attributes (FilterPolicy, RedrivePolicy…) with a Java streaming parser, and a
 * syntax error reaches the caller in that parser's words:
 *   failed to parse JSON. Unexpected character ('i' (code 105)): was expecting double-quote to start field name
 *    at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 2]
 * This module finds the first syntax error in a text and phrases it that way, so a learner who
 * mistypes a policy sees what AWS would show. It only diagnoses; JSON.parse does the parsing.
 */

const SOURCE = 'REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)';

class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

/** The parser's description of the first syntax error, or undefined when the text is valid JSON. */
export function jsonSyntaxError(text: string): string | undefined {
  try {
    new Scanner(text).document();
    return undefined;
  } catch (err) {
    if (!(err instanceof SyntaxProblem)) throw err;
    return `failed to parse JSON. ${err.message}\n at [Source: ${SOURCE}; line: ${err.line}, column: ${err.column}]`;
  }
}

class Scanner {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly text: string) {}

  document(): void {
    this.skipSpace();
    if (this.pos >= this.text.length) throw this.fail('No content to map due to end-of-input', this.column());
    this.value();
  }

  private value(): void {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) throw this.fail('Unexpected end-of-input: expected a value', this.column());
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    if (/[A-Za-z_$]/.test(c)) return this.word();
    throw this.unexpected(c, 'expected a value');
  }

  private object(): void {
    const start = { line: this.line, column: this.column() + 1 };
    this.pos++; // {
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === undefined) throw this.endOfInput('Object', start);
      if (c !== '"') throw this.unexpected(c, 'was expecting double-quote to start field name');
      this.string();
      this.skipSpace();
      const colon = this.text[this.pos];
      if (colon === undefined) throw this.endOfInput('Object', start);
      if (colon !== ':') throw this.unexpected(colon, 'was expecting a colon to separate field name and value');
      this.pos++;
      this.value();
      this.skipSpace();
      const next = this.text[this.pos];
      if (next === undefined) throw this.endOfInput('Object', start);
      this.pos++;
      if (next === '}') return;
      if (next !== ',') {
        this.pos--;
        throw this.unexpected(next, 'was expecting comma to separate Object entries');
      }
    }
  }

  private array(): void {
    const start = { line: this.line, column: this.column() + 1 };
    this.pos++; // [
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === undefined) throw this.endOfInput('Array', start);
      this.value();
      this.skipSpace();
      const next = this.text[this.pos];
      if (next === undefined) throw this.endOfInput('Array', start);
      this.pos++;
      if (next === ']') return;
      if (next !== ',') {
        this.pos--;
        throw this.unexpected(next, 'was expecting comma to separate Array entries');
      }
    }
  }

  private string(): void {
    this.pos++; // opening quote
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) throw this.fail('Unexpected end-of-input: was expecting closing quote for a string value', this.column());
      if (c === '"') {
        this.pos++;
        return;
      }
      if (c === '\\') {
        this.pos += 2;
        continue;
      }
      if (c.charCodeAt(0) < 0x20) {
        throw this.fail(
          `Illegal unquoted character ((CTRL-CHAR, code ${c.charCodeAt(0)})): has to be escaped using backslash to be included in string value`,
          this.column() + 1,
        );
      }
      this.pos++;
    }
  }

  private number(): void {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.pos));
    if (!match) throw this.unexpected(this.text[this.pos + 1] ?? this.text[this.pos], 'expected digit (0-9) to follow minus sign, for valid numeric value');
    if (/^-?0\d/.test(this.text.slice(this.pos))) throw this.fail('Invalid numeric value: Leading zeroes not allowed', this.column() + 2);
    this.pos += match[0].length;
  }

  /** true / false / null, or a bare word the parser rejects as a whole. */
  private word(): void {
    const match = /^[A-Za-z0-9_$]+/.exec(this.text.slice(this.pos))!;
    const word = match[0];
    if (word === 'true' || word === 'false' || word === 'null') {
      this.pos += word.length;
      return;
    }
    this.pos += word.length;
    throw this.fail(
      `Unrecognized token '${word}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`,
      this.column() + 1,
    );
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === '\n') {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === ' ' || c === '\t' || c === '\r') this.pos++;
      else return;
    }
  }

  /** 0-based column of the current position. */
  private column(): number {
    return this.pos - this.lineStart;
  }

  private unexpected(c: string, expectation: string): SyntaxProblem {
    const code = c.charCodeAt(0);
    const shown = code < 0x20 ? `(CTRL-CHAR, code ${code})` : `'${c}' (code ${code})`;
    return this.fail(`Unexpected character (${shown}): ${expectation}`, this.column() + 1);
  }

  private endOfInput(kind: 'Object' | 'Array', start: { line: number; column: number }): SyntaxProblem {
    return this.fail(
      `Unexpected end-of-input: expected close marker for ${kind} (start marker at [Source: ${SOURCE}; line: ${start.line}, column: ${start.column}])`,
      this.column() + 1,
    );
  }

  private fail(message: string, column: number): SyntaxProblem {
    return new SyntaxProblem(message, this.line, column);
  }
}
