import { dict } from '../core/dict.ts';
import { sqsErrors } from './errors.ts';
import { findInvalidCharacter } from './message-body.ts';

/** A message attribute as SQS stores it. Binary values are bytes here; the wire adapters base64 them. */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Buffer;
}

/** A message attribute as a request carries it, before validation. */
export interface MessageAttributeInput {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: Buffer;
}

const MAX_ATTRIBUTES = 10;
const MAX_NAME_LENGTH = 256;
const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
const TYPE_PATTERN = /^(String|Number|Binary)(\.[^\s]*)?$/;
const NUMBER_PATTERN = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Validates a message's user attributes the way SendMessage does. */
export function validateMessageAttributes(
  input: Record<string, MessageAttributeInput> | undefined,
): Record<string, MessageAttributeValue> {
  const out = dict<MessageAttributeValue>();
  if (!input) return out;
  const names = Object.keys(input);
  if (names.length > MAX_ATTRIBUTES) {
    throw sqsErrors.invalidParameter(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`,
    );
  }
  for (const name of names) {
    validateName(name);
    out[name] = validateValue(name, input[name], 'message (user) attribute');
  }
  return out;
}

/** System attributes on send: only AWSTraceHeader (a String) exists. */
export function validateSystemAttributes(
  input: Record<string, MessageAttributeInput> | undefined,
): Record<string, MessageAttributeValue> {
  const out = dict<MessageAttributeValue>();
  if (!input) return out;
  for (const name of Object.keys(input)) {
    if (name !== 'AWSTraceHeader') {
      throw sqsErrors.invalidParameter(`Message system attribute name '${name}' is invalid.`);
    }
    const value = validateValue(name, input[name], 'message system attribute');
    if (value.DataType !== 'String') {
      throw sqsErrors.invalidParameter(`The type of message system attribute '${name}' is invalid. It must be String.`);
    }
    out[name] = value;
  }
  return out;
}

function validateName(name: string): void {
  const lower = name.toLowerCase();
  if (lower.startsWith('aws.') || lower.startsWith('amazon.')) {
    throw sqsErrors.invalidParameter(`Message (user) attribute name '${name}' is reserved for use by Amazon.`);
  }
  if (
    name.length === 0 ||
    name.length > MAX_NAME_LENGTH ||
    !NAME_PATTERN.test(name) ||
    name.startsWith('.') ||
    name.endsWith('.') ||
    name.includes('..')
  ) {
    throw sqsErrors.invalidParameter(
      `Message (user) attribute name '${name}' is invalid. A name can have up to 256 letters, digits, ` +
        `underscores, hyphens and periods, and cannot start or end with a period or contain two in a row.`,
    );
  }
}

function validateValue(name: string, input: MessageAttributeInput | undefined, kind: string): MessageAttributeValue {
  const dataType = input?.DataType;
  if (!dataType) {
    throw sqsErrors.invalidParameter(`The ${kind} '${name}' must contain non-empty message attribute type.`);
  }
  const typeMatch = TYPE_PATTERN.exec(dataType);
  if (!typeMatch || dataType.length > MAX_NAME_LENGTH) {
    throw sqsErrors.invalidParameter(
      `The type of ${kind} '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
    );
  }
  const base = typeMatch[1];
  const capitalised = kind[0].toUpperCase() + kind.slice(1);
  if (base === 'Binary') {
    if (!input!.BinaryValue || input!.BinaryValue.length === 0) {
      throw sqsErrors.invalidParameter(`${capitalised} '${name}' must contain a non-empty value of type 'Binary'.`);
    }
    return { DataType: dataType, BinaryValue: input!.BinaryValue };
  }
  const value = input!.StringValue;
  if (value === undefined || value === '') {
    throw sqsErrors.invalidParameter(`${capitalised} '${name}' must contain a non-empty value of type 'String'.`);
  }
  if (base === 'Number' && !NUMBER_PATTERN.test(value.trim())) {
    throw sqsErrors.invalidParameter(`Can't cast the value of ${kind} '${name}' to a number.`);
  }
  const bad = findInvalidCharacter(value);
  if (bad !== undefined) {
    throw sqsErrors.invalidParameter(
      `${capitalised} '${name}' contains the invalid character '#x${bad.toString(16).toUpperCase()}'.`,
    );
  }
  return { DataType: dataType, StringValue: value };
}

/** Bytes the attributes count towards the queue's MaximumMessageSize: names, types and values. */
export function attributesSize(attributes: Record<string, MessageAttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    size += value.BinaryValue ? value.BinaryValue.length : Buffer.byteLength(value.StringValue ?? '');
  }
  return size;
}

/**
 * The attributes a ReceiveMessage asked for: "All" or ".*" for every one, "prefix.*" for a
 * family, otherwise exact names. Undefined when nothing matches (the field is then omitted).
 */
export function selectMessageAttributes(
  attributes: Record<string, MessageAttributeValue>,
  requested: readonly string[],
): Record<string, MessageAttributeValue> | undefined {
  if (requested.length === 0) return undefined;
  const names = Object.keys(attributes);
  if (names.length === 0) return undefined;
  const all = requested.includes('All') || requested.includes('.*');
  const prefixes = requested.filter((r) => r.endsWith('.*')).map((r) => r.slice(0, -1));
  const out = dict<MessageAttributeValue>();
  let found = false;
  for (const name of names) {
    if (all || requested.includes(name) || prefixes.some((p) => name.startsWith(p))) {
      out[name] = attributes[name];
      found = true;
    }
  }
  return found ? out : undefined;
}
