import { describe, expect, it } from 'vitest';
import { compileFilterPolicy, FilterPolicyError, type Scope } from '../../local-cloud/sns/filter-policy/policy.ts';
import { matchesAttributes, matchesBody, type AttributeValue } from '../../local-cloud/sns/filter-policy/match.ts';
import { jsonSyntaxError } from '../../local-cloud/sns/filter-policy/json-syntax.ts';

/**
 * Filter policies: SNS's checks word their errors exactly (recorded from AWS, parser positions
 * included), and matching follows SNS's rules for attributes and bodies.
 */
function errorOf(policy: unknown, scope: Scope = 'MessageAttributes'): string {
  try {
    compileFilterPolicy(typeof policy === 'string' ? policy : JSON.stringify(policy, null, 1), scope);
  } catch (err) {
    if (err instanceof FilterPolicyError) return err.detail;
    throw err;
  }
  throw new Error('the policy was accepted');
}

const at = (source: string, column: number) => `\n at [Source: (String)"${source}"; line: 1, column: ${column}]`;

describe('filter policy checks (messages as AWS words them)', () => {
  it.each([
    [{ key: [['value']] }, 'Match value must be String, number, true, false, or null', 10],
    [{ key: [{ 'wrong-operator': true }] }, 'Unrecognized match type wrong-operator', 31],
    [{ key: [{ suffix: 'value', prefix: 'value2' }] }, 'Only one key allowed in match expression', 37],
    [{ key: [] }, 'Empty arrays are not allowed', 10],
    [{ key: [{ suffix: 100 }] }, 'suffix match pattern must be a string', 22],
    [{ key: [{ suffix: null }] }, 'suffix match pattern must be a string', 23],
    [{ key: { suffix: 'value' } }, '"suffix" must be an object or an array', 19],
    [{ key: [{ suffix: [] }] }, 'suffix match pattern must be a string', 20],
    [{ key: [{ cidr: ['bad-filter'] }] }, 'prefix match pattern must be a string', 18],
    [{ key: [{ numeric: [] }] }, 'Invalid member in numeric match: ]', 22],
    [{ key: [{ numeric: ['operator'] }] }, 'Unrecognized numeric range operator: operator', 32],
    [{ key: [{ numeric: [1, '<='] }] }, 'Invalid member in numeric match: 1', 22],
    [{ key: [{ numeric: ['=', '000'] }] }, 'Value of equals must be numeric', 26],
    [{ key: [{ numeric: ['>='] }] }, 'Value of >= must be numeric', 26],
    [{ key: [{ numeric: ['<', 100, '>', 10] }] }, 'Too many elements in numeric expression', 30],
    [{ key: [{ numeric: ['>=', 1, '>', 2] }] }, 'Bad numeric range operator: >', 31],
    [{ key: [{ numeric: ['>', 3, '<', 1] }] }, 'Bottom must be less than top', 33],
    [{ key: [{ numeric: ['>', 20, '<='] }] }, 'Value of <= must be numeric', 33],
    [{ key: [{ numeric: ['>', 20, 30] }] }, 'Bad value in numeric range: 30', 30],
    [{ key: [{ numeric: ['>', 20, 'test'] }] }, 'Bad numeric range operator: test', 34],
    [{ key: [{ numeric: ['>', '20', '<', '30'] }] }, 'Value of > must be numeric', 26],
    [{ key: [{ numeric: ['>', 20, '<', '30'] }] }, 'Value of < must be numeric', 33],
    [{ key: [{ numeric: ['>', 20, '<', 30, '<', 50] }] }, 'Too many terms in numeric range expression', 36],
    [{ key: [{ exists: null }] }, 'exists match pattern must be either true or false.', 23],
    [{ key: [{ exists: 'no' }] }, 'exists match pattern must be either true or false.', 20],
    [{ key: [{ 'anything-but': { 'wrong-operator': null } }] }, 'Unsupported anything-but pattern: wrong-operator', 47],
    [{ key: [{ 'anything-but': { suffix: 'test' } }] }, 'Unsupported anything-but pattern: suffix', 36],
    [{ key: [{ 'anything-but': { exists: false } }] }, 'Unsupported anything-but pattern: exists', 40],
    [{ key: [{ 'anything-but': { prefix: false } }] }, 'prefix match pattern must be a string', 40],
  ])('%j → %s', (policy, message, column) => {
    expect(errorOf(policy)).toBe(message + at(JSON.stringify(policy), column));
  });

  it.each([
    [{ key: [{ cidr: 'bad-filter' }] }, "Malformed CIDR, one '/' required"],
    [{ key: [{ cidr: 'bad-filter/8' }] }, 'Nonstandard IP address: bad-filter'],
    [{ key: [{ cidr: '10.0.0.0/x' }] }, 'Malformed CIDR, mask bits must be an integer'],
    [{ key: [{ cidr: 'xx.11.xx/24' }] }, 'Nonstandard IP address: xx.11.xx'],
    [{ key: Array.from({ length: 151 }, (_, i) => `value${i}`) }, 'Filter policy is too complex'],
    [{ k1: Array.from({ length: 100 }, (_, i) => `v${i}`), k2: Array.from({ length: 51 }, (_, i) => `v${i}`) }, 'Filter policy is too complex'],
    [{ k1: ['1'], k2: ['2'], k3: ['3'], k4: ['4'], k5: ['5'], k6: ['6'] }, 'Filter policy can not have more than 5 keys'],
  ])('%j → %s', (policy, message) => {
    expect(errorOf(policy)).toBe(message);
  });

  it('counts $or alternatives and nesting depth toward complexity, as AWS does', () => {
    // (4 × 6) + (4 × 4 × 4) + (4 × 4 × 4) = 152 combinations
    const flat = {
      source: ['a', 'b', 'c', 'd'],
      $or: [
        { metricName: ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'] },
        { metricType: ['t1', 't2', 't3', 't4'], $or: [{ metricId: [1, 2, 3, 4] }, { spaceId: [1, 2, 3, 4] }] },
      ],
    };
    expect(errorOf(flat)).toBe('Filter policy is too complex');
    // Values times depth: (4×3) × (3×2) × (3×1) = 216
    const nested = { a: { b: { c: ['1', '2', '3', '4'] } }, d: { e: ['1', '2', '3'] }, f: ['1', '2', '3'] };
    expect(errorOf(nested, 'MessageBody')).toBe('Filter policy is too complex');
    // Without the depth weighting the same policy would be fine: 4 × 3 × 3 = 36.
    expect(() => compileFilterPolicy(JSON.stringify({ c: ['1', '2', '3', '4'], e: ['1', '2', '3'], f: ['1', '2', '3'] }), 'MessageBody')).not.toThrow();
  });

  it('refuses a nested policy with the MessageAttributes scope (and takes it with MessageBody)', () => {
    const nested = { object: { key: [{ prefix: 'auto-' }] } };
    const error = (() => {
      try {
        compileFilterPolicy(JSON.stringify(nested), 'MessageAttributes');
      } catch (err) {
        return err as FilterPolicyError;
      }
    })();
    expect(error?.detail).toBe('Filter policy scope MessageAttributes does not support nested filter policy');
    expect(error?.labelled).toBe(false);
    expect(() => compileFilterPolicy(JSON.stringify(nested), 'MessageBody')).not.toThrow();
  });

  it('reports JSON syntax errors in the parser\'s words', () => {
    const source = 'REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)';
    expect(jsonSyntaxError('{invalidjson}')).toBe(
      `failed to parse JSON. Unexpected character ('i' (code 105)): was expecting double-quote to start field name\n at [Source: ${source}; line: 1, column: 2]`,
    );
    expect(jsonSyntaxError('invalid-json')).toBe(
      `failed to parse JSON. Unrecognized token 'invalid': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: ${source}; line: 1, column: 8]`,
    );
    expect(jsonSyntaxError('{"a": [1 2]}')).toContain("Unexpected character ('2' (code 50)): was expecting comma to separate Array entries");
    expect(jsonSyntaxError('{"a": 1')).toContain('Unexpected end-of-input: expected close marker for Object');
    expect(jsonSyntaxError('{"a": [1, 2]}')).toBeUndefined();
  });
});

describe('filter policy matching', () => {
  const attrs = (values: Record<string, [string, string]>): Record<string, AttributeValue> =>
    Object.fromEntries(Object.entries(values).map(([k, [DataType, StringValue]]) => [k, { DataType, StringValue }]));
  const onAttributes = (policy: unknown, values: Record<string, [string, string]>) =>
    matchesAttributes(compileFilterPolicy(JSON.stringify(policy), 'MessageAttributes'), attrs(values));
  const onBody = (policy: unknown, body: unknown) =>
    matchesBody(compileFilterPolicy(JSON.stringify(policy), 'MessageBody'), typeof body === 'string' ? body : JSON.stringify(body));

  it('exact strings, ORed within a key and ANDed across keys', () => {
    const policy = { status: ['shipped', 'delivered'], region: ['eu'] };
    expect(onAttributes(policy, { status: ['String', 'shipped'], region: ['String', 'eu'] })).toBe(true);
    expect(onAttributes(policy, { status: ['String', 'delivered'], region: ['String', 'eu'] })).toBe(true);
    expect(onAttributes(policy, { status: ['String', 'shipped'] })).toBe(false);
    expect(onAttributes(policy, { status: ['String', 'cancelled'], region: ['String', 'eu'] })).toBe(false);
  });

  it('anything-but, prefix, suffix, equals-ignore-case', () => {
    expect(onAttributes({ s: [{ 'anything-but': ['cancelled', 'failed'] }] }, { s: ['String', 'shipped'] })).toBe(true);
    expect(onAttributes({ s: [{ 'anything-but': ['cancelled', 'failed'] }] }, { s: ['String', 'failed'] })).toBe(false);
    expect(onAttributes({ s: [{ 'anything-but': 'x' }] }, {})).toBe(false); // an absent attribute matches nothing but exists:false
    expect(onAttributes({ s: [{ 'anything-but': { prefix: 'test-' } }] }, { s: ['String', 'test-1'] })).toBe(false);
    expect(onAttributes({ s: [{ 'anything-but': { prefix: 'test-' } }] }, { s: ['String', 'prod-1'] })).toBe(true);
    expect(onAttributes({ s: [{ prefix: 'ord-' }] }, { s: ['String', 'ord-42'] })).toBe(true);
    expect(onAttributes({ s: [{ suffix: '.png' }] }, { s: ['String', 'a.jpg'] })).toBe(false);
    expect(onAttributes({ s: [{ 'equals-ignore-case': 'EU' }] }, { s: ['String', 'eu'] })).toBe(true);
  });

  it('numeric ranges and exact numbers apply to Number attributes', () => {
    const policy = { price: [{ numeric: ['>', 0, '<=', 100] }] };
    expect(onAttributes(policy, { price: ['Number', '99.12'] })).toBe(true);
    expect(onAttributes(policy, { price: ['Number', '100'] })).toBe(true);
    expect(onAttributes(policy, { price: ['Number', '100.5'] })).toBe(false);
    expect(onAttributes(policy, { price: ['Number', '0'] })).toBe(false);
    expect(onAttributes({ n: [{ numeric: ['=', 5] }] }, { n: ['Number', '5.0'] })).toBe(true);
    expect(onAttributes({ n: [5] }, { n: ['Number', '5'] })).toBe(true);
    // A String attribute is text, even when it looks like a number.
    expect(onAttributes(policy, { price: ['String', '50'] })).toBe(false);
  });

  it('exists, String.Array elements, and cidr', () => {
    expect(onAttributes({ k: [{ exists: true }] }, { k: ['String', 'x'] })).toBe(true);
    expect(onAttributes({ k: [{ exists: true }] }, {})).toBe(false);
    expect(onAttributes({ k: [{ exists: false }] }, {})).toBe(true);
    expect(onAttributes({ k: [{ exists: false }] }, { k: ['Binary', ''] })).toBe(false);
    expect(onAttributes({ tags: ['urgent'] }, { tags: ['String.Array', '["normal","urgent"]'] })).toBe(true);
    expect(onAttributes({ tags: ['urgent'] }, { tags: ['String.Array', '["normal"]'] })).toBe(false);
    expect(onAttributes({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: ['String', '10.0.0.7'] })).toBe(true);
    expect(onAttributes({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: ['String', '10.0.1.7'] })).toBe(false);
    expect(onAttributes({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: ['String', '2001:db8:1::5'] })).toBe(true);
  });

  it('$or offers alternatives', () => {
    const policy = { $or: [{ status: ['failed'] }, { priority: [{ numeric: ['>=', 5] }] }] };
    expect(onAttributes(policy, { status: ['String', 'failed'] })).toBe(true);
    expect(onAttributes(policy, { priority: ['Number', '7'] })).toBe(true);
    expect(onAttributes(policy, { status: ['String', 'ok'], priority: ['Number', '1'] })).toBe(false);
  });

  it('MessageBody scope follows the JSON body, nested keys and arrays included', () => {
    const policy = { order: { status: ['shipped'], total: [{ numeric: ['>=', 100] }] } };
    expect(onBody(policy, { order: { status: 'shipped', total: 150 } })).toBe(true);
    expect(onBody(policy, { order: { status: 'shipped', total: 50 } })).toBe(false);
    expect(onBody({ items: { sku: ['A-1'] } }, { items: [{ sku: 'B-2' }, { sku: 'A-1' }] })).toBe(true);
    expect(onBody({ flag: [true], gone: [null] }, { flag: true, gone: null })).toBe(true);
    expect(onBody(policy, 'not json')).toBe(false);
    expect(onBody(policy, [1, 2])).toBe(false);
  });
});
