import { dict, own } from '../core/dict.ts';
import { splitArn } from './arns.ts';
import { snsErrors } from './errors.ts';
import { compileFilterPolicy, FilterPolicyError, type Scope } from './filter-policy/policy.ts';
import { jsonSyntaxError } from './filter-policy/json-syntax.ts';
import { supportsRawDelivery, type Protocol, type SubscriptionRecord } from './model.ts';

const SETTABLE = new Set(['RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope', 'RedrivePolicy', 'DeliveryPolicy', 'SubscriptionRoleArn']);

/**
 * Checks subscription attributes and returns them as stored (RawMessageDelivery in lower case;
 * an empty FilterPolicy or RedrivePolicy removes it). Subscribe words its errors
 * "Invalid parameter: Attributes Reason: …", SetSubscriptionAttributes "Invalid parameter: …".
 */
export function validateSubscriptionAttributes(
  changes: Record<string, string>,
  current: Record<string, string>,
  protocol: Protocol,
  onSubscribe: boolean,
): Record<string, string> {
  const reason = (detail: string) => snsErrors.invalidParameter(onSubscribe ? `Attributes Reason: ${detail}` : detail);
  const next = dict(current);
  for (const [name, value] of Object.entries(changes)) {
    if (!SETTABLE.has(name)) throw reason('AttributeName');
    switch (name) {
      case 'RawMessageDelivery': {
        const lower = value.toLowerCase();
        if (lower !== 'true' && lower !== 'false') throw reason(`RawMessageDelivery: Invalid value [${value}]. Must be true or false.`);
        if (lower === 'true' && !supportsRawDelivery(protocol)) {
          throw reason(`Delivery protocol [${protocol}] does not support raw message delivery.`);
        }
        next.RawMessageDelivery = lower;
        break;
      }
      case 'FilterPolicyScope':
        if (value !== 'MessageAttributes' && value !== 'MessageBody') {
          throw reason(`FilterPolicyScope: Invalid value [${value}]. Please use either MessageBody or MessageAttributes`);
        }
        next.FilterPolicyScope = value;
        break;
      case 'RedrivePolicy':
        if (value === '') delete next.RedrivePolicy;
        else next.RedrivePolicy = validateRedrivePolicy(value, reason);
        break;
      case 'DeliveryPolicy': {
        const syntax = value === '' ? undefined : jsonSyntaxError(value);
        if (syntax) throw reason(`DeliveryPolicy: ${syntax}`);
        if (value === '') delete next.DeliveryPolicy;
        else next.DeliveryPolicy = value;
        break;
      }
      default:
        if (value === '' && name === 'FilterPolicy') delete next.FilterPolicy;
        else next[name] = value;
    }
  }
  // The policy is checked against the scope it will run with (either may have changed).
  if (next.FilterPolicy !== undefined && (Object.hasOwn(changes, 'FilterPolicy') || Object.hasOwn(changes, 'FilterPolicyScope'))) {
    try {
      compileFilterPolicy(next.FilterPolicy, filterScope(next));
    } catch (err) {
      if (!(err instanceof FilterPolicyError)) throw err;
      throw reason(err.labelled ? `FilterPolicy: ${err.detail}` : err.detail);
    }
  }
  return next;
}

export function filterScope(attributes: { FilterPolicyScope?: string }): Scope {
  return attributes.FilterPolicyScope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes';
}

/** GetSubscriptionAttributes: what SNS reports, in its order (FilterPolicyScope only with a FilterPolicy). */
export function subscriptionAttributesView(sub: SubscriptionRecord): Record<string, string> {
  const out: Record<string, string> = {
    ConfirmationWasAuthenticated: String(sub.confirmationWasAuthenticated),
    Endpoint: sub.endpoint,
    Owner: sub.owner,
    PendingConfirmation: String(sub.pendingConfirmation),
    Protocol: sub.protocol,
    RawMessageDelivery: sub.attributes.RawMessageDelivery ?? 'false',
    SubscriptionArn: sub.arn,
    SubscriptionPrincipal: sub.principal,
    TopicArn: sub.topicArn,
  };
  for (const name of ['DeliveryPolicy', 'FilterPolicy', 'RedrivePolicy', 'SubscriptionRoleArn']) {
    if (sub.attributes[name] !== undefined) out[name] = sub.attributes[name];
  }
  if (sub.attributes.FilterPolicy !== undefined) out.FilterPolicyScope = filterScope(sub.attributes);
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
}

/**
 * Two Subscribe calls for one endpoint are the same subscription when every attribute the
 * second one gives matches (given defaults count as matching).
 */
export function sameAttributes(existing: Record<string, string>, requested: Record<string, string>): boolean {
  const defaults: Record<string, string> = { RawMessageDelivery: 'false', FilterPolicyScope: 'MessageAttributes' };
  return Object.entries(requested).every(([name, value]) => (own(existing, name) ?? own(defaults, name)) === value);
}

function validateRedrivePolicy(value: string, reason: (detail: string) => Error): string {
  const syntax = jsonSyntaxError(value);
  if (syntax) throw reason(`RedrivePolicy: ${syntax}`);
  const policy = JSON.parse(value) as { deadLetterTargetArn?: unknown };
  const target = typeof policy?.deadLetterTargetArn === 'string' ? splitArn(policy.deadLetterTargetArn) : undefined;
  if (!target) throw reason('RedrivePolicy: deadLetterTargetArn is an invalid arn');
  return value;
}
