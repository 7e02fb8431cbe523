import { snsErrors } from './errors.ts';
import type { SubscriptionRecord, TopicRecord } from './model.ts';
import { checkTopicPolicy, defaultTopicPolicy, type PolicyCheck } from './topic-policy.ts';

/** Attributes CreateTopic and SetTopicAttributes accept (besides FifoTopic, which only CreateTopic reads). */
const SETTABLE = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'ArchivePolicy',
  'ContentBasedDeduplication',
  'DataProtectionPolicy',
  ...['Application', 'Firehose', 'HTTP', 'Lambda', 'SQS'].flatMap((kind) => [
    `${kind}SuccessFeedbackRoleArn`,
    `${kind}SuccessFeedbackSampleRate`,
    `${kind}FailureFeedbackRoleArn`,
  ]),
]);

/** A topic's delivery policy for HTTP/S endpoints when nobody set one, as GetTopicAttributes shows it. */
const DEFAULT_HTTP_DELIVERY = {
  defaultHealthyRetryPolicy: {
    minDelayTarget: 20,
    maxDelayTarget: 20,
    numRetries: 3,
    numMaxDelayRetries: 0,
    numNoDelayRetries: 0,
    numMinDelayRetries: 0,
    backoffFunction: 'linear',
  },
  disableSubscriptionOverrides: false,
  defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
};

/** The delivery policy in force: the topic's own values over the defaults, key by key. */
function effectiveDeliveryPolicy(deliveryPolicy: string | undefined): string {
  let http: Record<string, any> = {};
  try {
    http = deliveryPolicy ? ((JSON.parse(deliveryPolicy) as { http?: Record<string, any> }).http ?? {}) : {};
  } catch {
    // validated on the way in; an unreadable stored value falls back to the defaults
  }
  return JSON.stringify({
    http: {
      defaultHealthyRetryPolicy: { ...DEFAULT_HTTP_DELIVERY.defaultHealthyRetryPolicy, ...http.defaultHealthyRetryPolicy },
      disableSubscriptionOverrides: http.disableSubscriptionOverrides ?? false,
      ...(http.defaultThrottlePolicy ? { defaultThrottlePolicy: http.defaultThrottlePolicy } : {}),
      defaultRequestPolicy: { ...DEFAULT_HTTP_DELIVERY.defaultRequestPolicy, ...http.defaultRequestPolicy },
    },
  });
}

/**
 * Checks one attribute for CreateTopic (errors worded "Attributes Reason: …") or SetTopicAttributes.
 * A Policy is checked against the topic it is for (`policy`); an empty one is refused, as SNS does.
 */
export function validateTopicAttribute(name: string, value: string, onCreate: boolean, policy: Omit<PolicyCheck, 'prefix'>): void {
  const prefix = onCreate ? 'Attributes Reason: ' : '';
  if (!SETTABLE.has(name)) {
    throw onCreate ? snsErrors.invalidParameter(`Attributes Reason: Invalid attribute name: ${name}`) : snsErrors.invalidParameter('AttributeName');
  }
  if (name === 'Policy') checkTopicPolicy(value, { ...policy, prefix });
  if (name === 'DeliveryPolicy' && value !== '') {
    if (!isJsonObject(value)) throw snsErrors.invalidParameter(`${prefix}DeliveryPolicy: failed to parse JSON.`);
  }
  if (name === 'DisplayName' && value.length > 100) {
    throw snsErrors.invalidParameter(`${prefix}DisplayName: must be at most 100 characters long`);
  }
  if (name === 'SignatureVersion' && value !== '1' && value !== '2') {
    throw snsErrors.invalidParameter(`${prefix}SignatureVersion: Invalid value [${value}]. Must be 1 or 2.`);
  }
}

/** GetTopicAttributes: what was set, plus the values SNS computes (counts are live). */
export function topicAttributesView(topic: TopicRecord, account: string, subscriptions: Iterable<SubscriptionRecord>): Record<string, string> {
  let confirmed = 0;
  let pending = 0;
  for (const sub of subscriptions) {
    if (sub.pendingConfirmation) pending++;
    else confirmed++;
  }
  const set = topic.attributes;
  const out: Record<string, string> = {
    ...set,
    DisplayName: set.DisplayName ?? '',
    EffectiveDeliveryPolicy: effectiveDeliveryPolicy(set.DeliveryPolicy),
    Owner: account,
    Policy: set.Policy ?? defaultTopicPolicy(topic.arn, account),
    SubscriptionsConfirmed: String(confirmed),
    SubscriptionsDeleted: String(topic.subscriptionsDeleted),
    SubscriptionsPending: String(pending),
    TopicArn: topic.arn,
  };
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
