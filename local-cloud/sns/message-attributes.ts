import { dict } from '../core/dict.ts';
import { snsErrors } from './errors.ts';

/** A message attribute as Publish takes it, and as SNS keeps it for delivery. */
export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Buffer;
}

export type MessageAttributeInput = Partial<MessageAttribute>;

const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
const NUMBER_PATTERN = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Checks Publish's message attributes as SNS does. `member` is where they sit in the request
 * ("messageAttributes", or "publishBatchRequestEntries.2.member.messageAttributes"), for the
 * validation message of a missing DataType.
 */
export function validateMessageAttributes(
  input: Record<string, MessageAttributeInput> | undefined,
  member = 'messageAttributes',
): Record<string, MessageAttribute> {
  const out = dict<MessageAttribute>();
  for (const [name, value] of Object.entries(input ?? {})) {
    validateName(name);
    const dataType = value.DataType;
    if (dataType === undefined || dataType === '') {
      throw snsErrors.validation(`${member}.${name}.member.dataType`, 'Member must not be null');
    }
    const kind = dataType.split('.')[0];
    if (kind !== 'String' && kind !== 'Number' && kind !== 'Binary') {
      throw snsErrors.parameterValueInvalid(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const hasString = value.StringValue !== undefined && value.StringValue !== '';
    const hasBinary = value.BinaryValue !== undefined && value.BinaryValue.length > 0;
    if (kind === 'Binary') {
      if (hasString) throw wrongField(name, 'Binary', 'Binary');
      if (!hasBinary) throw emptyValue(name, 'Binary');
      out[name] = { DataType: dataType, BinaryValue: value.BinaryValue };
      continue;
    }
    if (!hasString) throw hasBinary ? wrongField(name, kind, 'String') : emptyValue(name, kind);
    if (kind === 'Number' && !NUMBER_PATTERN.test(value.StringValue!)) {
      throw snsErrors.parameterValueInvalid(`Could not cast message attribute '${name}' value to number.`);
    }
    if (dataType === 'String.Array' && !isStringArray(value.StringValue!)) {
      throw snsErrors.parameterValueInvalid(
        `The message attribute '${name}' with type 'String.Array' must be a JSON array of strings, numbers, true, false or null.`,
      );
    }
    out[name] = { DataType: dataType, StringValue: value.StringValue };
  }
  return out;
}

/** The bytes the attributes add to a message (they count toward the 256 KB limit). */
export function attributesSize(attributes: Record<string, MessageAttribute>): number {
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    size += value.BinaryValue ? value.BinaryValue.length : Buffer.byteLength(value.StringValue ?? '');
  }
  return size;
}

/** The attributes as the JSON envelope and the Lambda event show them: {Name: {Type, Value}}, binary as base64. */
export function envelopeAttributes(attributes: Record<string, MessageAttribute>): Record<string, { Type: string; Value: string }> {
  const out = dict<{ Type: string; Value: string }>();
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = { Type: value.DataType, Value: value.BinaryValue ? value.BinaryValue.toString('base64') : (value.StringValue ?? '') };
  }
  return out;
}

function validateName(name: string): void {
  if (Buffer.byteLength(name) >= 256) throw snsErrors.parameterValueInvalid('Length of message attribute name must be less than 256 bytes.');
  if (!NAME_PATTERN.test(name)) {
    const bad = [...name].find((c) => !/[A-Za-z0-9_.-]/.test(c)) ?? '';
    const code = (bad.codePointAt(0) ?? 0).toString(16).toUpperCase();
    throw snsErrors.parameterValueInvalid(
      `Invalid non-alphanumeric character '#x${code}' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.`,
    );
  }
  if (name.startsWith('.')) throw snsErrors.parameterValueInvalid("Invalid message attribute name starting with character '.' was found.");
  if (name.endsWith('.')) throw snsErrors.parameterValueInvalid("Invalid message attribute name ending with character '.' was found.");
  if (name.includes('..')) throw snsErrors.parameterValueInvalid("Message attribute name can not have successive '.' character.");
}

function wrongField(name: string, type: string, field: string) {
  return snsErrors.parameterValueInvalid(`The message attribute '${name}' with type '${type}' must use field '${field}'.`);
}

function emptyValue(name: string, type: string) {
  return snsErrors.parameterValueInvalid(
    `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
  );
}

function isStringArray(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
  } catch {
    return false;
  }
}
