import { dict, own } from '../core/dict.ts';
import { sqsErrors } from './errors.ts';

/** Defaults of a new standard queue, as GetQueueAttributes reports them. */
export const QUEUE_DEFAULTS: Readonly<Record<string, string>> = {
  DelaySeconds: '0',
  MaximumMessageSize: '1048576',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  SqsManagedSseEnabled: 'true',
  VisibilityTimeout: '30',
};

/** Integer attributes and their inclusive ranges. */
const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  DelaySeconds: [0, 900],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
  MaximumMessageSize: [1024, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43_200],
};

/** Attributes that hold a JSON document or an id; an empty value removes them. */
const REMOVABLE = new Set(['Policy', 'RedrivePolicy', 'RedriveAllowPolicy', 'KmsMasterKeyId']);

/** Computed by the queue; readable, never settable. */
const READ_ONLY = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesDelayed',
  'ApproximateNumberOfMessagesNotVisible',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
];

/** Attributes that only FIFO queues have (FIFO is not emulated). */
const FIFO_ONLY = new Set(['ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']);

/** Every name GetQueueAttributes accepts besides "All". */
export const READABLE_ATTRIBUTES = new Set([
  ...READ_ONLY,
  ...Object.keys(INTEGER_RANGES),
  ...REMOVABLE,
  'SqsManagedSseEnabled',
  'FifoQueue',
  ...FIFO_ONLY,
]);

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

/** The numbers the queue works with, read from its attributes once per change. */
export interface QueueSettings {
  delaySeconds: number;
  maximumMessageSize: number;
  messageRetentionPeriod: number;
  receiveMessageWaitTimeSeconds: number;
  visibilityTimeout: number;
  redrivePolicy: RedrivePolicy | undefined;
}

export function settingsOf(attributes: Record<string, string>): QueueSettings {
  const effective = { ...QUEUE_DEFAULTS, ...attributes };
  return {
    delaySeconds: Number(effective.DelaySeconds),
    maximumMessageSize: Number(effective.MaximumMessageSize),
    messageRetentionPeriod: Number(effective.MessageRetentionPeriod),
    receiveMessageWaitTimeSeconds: Number(effective.ReceiveMessageWaitTimeSeconds),
    visibilityTimeout: Number(effective.VisibilityTimeout),
    redrivePolicy: effective.RedrivePolicy ? (JSON.parse(effective.RedrivePolicy) as RedrivePolicy) : undefined,
  };
}

/** The stored attributes with defaults filled in (what GetQueueAttributes "All" shows, minus computed ones). */
export function effectiveAttributes(attributes: Record<string, string>): Record<string, string> {
  const out = dict<string>({ ...QUEUE_DEFAULTS, ...attributes });
  if (attributes.KmsMasterKeyId) {
    out.SqsManagedSseEnabled = attributes.SqsManagedSseEnabled ?? 'false';
    out.KmsDataKeyReusePeriodSeconds = attributes.KmsDataKeyReusePeriodSeconds ?? '300';
  }
  return out;
}

/**
 * Validates attributes given to CreateQueue or SetQueueAttributes and returns them in canonical
 * form ("030" becomes "30", JSON documents compact). An empty string means "remove" for the
 * removable ones. `queueExists` checks a redrive policy's dead-letter target.
 */
export function validateQueueAttributes(
  input: Record<string, unknown> | undefined,
  queueExists: (arn: string) => boolean,
  redrive?: RedriveCheck,
): Record<string, string> {
  const out = dict<string>();
  for (const [name, raw] of Object.entries(input ?? {})) {
    const value = raw === undefined || raw === null ? '' : String(raw);
    if (name === 'FifoQueue') {
      if (value.toLowerCase() === 'true') throw sqsErrors.fifoNotSupported();
      if (value.toLowerCase() !== 'false') throw sqsErrors.invalidAttributeValue(name);
      continue; // "false" describes a standard queue: nothing to store
    }
    const range = own(INTEGER_RANGES, name);
    if (range) {
      out[name] = validateInteger(name, value, range);
    } else if (name === 'SqsManagedSseEnabled') {
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw sqsErrors.invalidAttributeValue(name);
      out[name] = lower;
    } else if (name === 'RedrivePolicy') {
      out[name] = value === '' ? '' : validateRedrivePolicy(value, queueExists, redrive);
    } else if (name === 'Policy') {
      out[name] = value === '' ? '' : validateJsonObject(name, value);
    } else if (name === 'RedriveAllowPolicy') {
      out[name] = value === '' ? '' : validateRedriveAllowPolicy(value);
    } else if (name === 'KmsMasterKeyId') {
      out[name] = value;
    } else {
      throw sqsErrors.unknownAttribute(name);
    }
  }
  return out;
}

/** Applies validated changes to stored attributes (empty removable values delete the attribute). */
export function applyAttributes(stored: Record<string, string>, changes: Record<string, string>): Record<string, string> {
  const next = dict(stored);
  for (const [name, value] of Object.entries(changes)) {
    if (REMOVABLE.has(name) && value === '') delete next[name];
    else next[name] = value;
  }
  return next;
}

function validateInteger(name: string, value: string, [min, max]: readonly [number, number]): string {
  if (!/^\s*[+-]?\d+\s*$/.test(value)) throw sqsErrors.invalidAttributeValue(name);
  const n = Number(value);
  if (n < min || n > max) throw sqsErrors.invalidAttributeValue(name);
  return String(n);
}

function parseJsonObject(value: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function validateJsonObject(name: string, value: string): string {
  const parsed = parseJsonObject(value);
  if (!parsed) throw sqsErrors.invalidAttributeValue(name);
  return JSON.stringify(parsed);
}

/** What a redrive policy is checked against: the source queue, and its target's RedriveAllowPolicy. */
export interface RedriveCheck {
  sourceArn: string;
  redriveAllowPolicyOf: (deadLetterArn: string) => string | undefined;
}

function validateRedrivePolicy(value: string, queueExists: (arn: string) => boolean, redrive?: RedriveCheck): string {
  const parsed = parseJsonObject(value);
  if (!parsed) {
    throw sqsErrors.invalidPolicyAttribute('RedrivePolicy', value, 'Redrive policy is not a valid JSON map.');
  }
  for (const mandatory of ['deadLetterTargetArn', 'maxReceiveCount']) {
    if (parsed[mandatory] === undefined) {
      throw sqsErrors.invalidPolicyAttribute(
        'RedrivePolicy',
        value,
        `Redrive policy does not contain mandatory attribute: ${mandatory}.`,
      );
    }
  }
  for (const key of Object.keys(parsed)) {
    if (key !== 'deadLetterTargetArn' && key !== 'maxReceiveCount') {
      throw sqsErrors.invalidPolicyAttribute(
        'RedrivePolicy',
        value,
        `Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].`,
      );
    }
  }
  const count = parsed.maxReceiveCount;
  const countNumber =
    typeof count === 'number' ? count : typeof count === 'string' && /^\d+$/.test(count) ? Number(count) : NaN;
  if (!Number.isInteger(countNumber) || countNumber < 1 || countNumber > 1000) {
    throw sqsErrors.invalidPolicyAttribute(
      'RedrivePolicy',
      value,
      `Invalid value for maxReceiveCount: ${String(count)}, valid values are from 1 to 1000 both inclusive.`,
    );
  }
  const target = parsed.deadLetterTargetArn;
  if (typeof target !== 'string' || !queueExists(target)) {
    throw sqsErrors.invalidPolicyAttribute('RedrivePolicy', value, 'Dead letter target does not exist.');
  }
  if (redrive && !redriveAllowed(redrive.redriveAllowPolicyOf(target), redrive.sourceArn)) {
    throw sqsErrors.invalidPolicyAttribute(
      'RedrivePolicy',
      value,
      "The dead-letter queue's RedriveAllowPolicy does not allow this queue to use it as a dead-letter queue.",
    );
  }
  return JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: countNumber } satisfies RedrivePolicy);
}

/** A dead-letter queue's RedriveAllowPolicy: allowAll (the default), denyAll, or byQueue with sourceQueueArns. */
function redriveAllowed(policy: string | undefined, sourceArn: string): boolean {
  const parsed = policy ? parseJsonObject(policy) : undefined;
  if (!parsed || parsed.redrivePermission === 'allowAll') return true;
  if (parsed.redrivePermission === 'byQueue') {
    return Array.isArray(parsed.sourceQueueArns) && parsed.sourceQueueArns.includes(sourceArn);
  }
  return false;
}

function validateRedriveAllowPolicy(value: string): string {
  const parsed = parseJsonObject(value);
  const permission = parsed?.redrivePermission;
  if (!parsed || (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue')) {
    throw sqsErrors.invalidPolicyAttribute(
      'RedriveAllowPolicy',
      value,
      'Amazon SQS can\'t process the redrive allow policy: redrivePermission must be allowAll, denyAll or byQueue.',
    );
  }
  return JSON.stringify(parsed);
}

/** Whether a name is a FIFO-only attribute GetQueueAttributes accepts but a standard queue lacks. */
export function isFifoOnly(name: string): boolean {
  return FIFO_ONLY.has(name) || name === 'FifoQueue';
}
