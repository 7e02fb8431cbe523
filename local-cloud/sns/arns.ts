import { snsErrors } from './errors.ts';

/**
 * SNS names things by ARN: topics arn:aws:sns:REGION:ACCOUNT:NAME, subscriptions
 * TOPIC_ARN:UUID. It checks the shape before it looks anything up, with messages that count
 * the colon-separated elements ("An ARN must have at least 6 elements, not 1").
 */
export interface TopicRef {
  region: string;
  account: string;
  name: string;
}

export interface SubscriptionRef extends TopicRef {
  id: string;
}

/** A topic ARN, checked as SNS checks it; `parameter` is the request member that carried it. */
export function parseTopicArn(value: string | undefined, parameter = 'TopicArn'): TopicRef {
  const parts = (value ?? '').split(':');
  if (parts.length < 6) throw snsErrors.invalidParameterReason(parameter, `An ARN must have at least 6 elements, not ${parts.length}`);
  const [arn, partition, service, region, account, ...rest] = parts;
  const name = rest.join(':');
  if (arn !== 'arn' || !partition.startsWith('aws') || service !== 'sns' || !region || !/^\d{12}$/.test(account) || rest.length !== 1) {
    throw snsErrors.invalidParameter(parameter);
  }
  return { region, account, name };
}

/**
 * A subscription ARN (TOPIC_ARN:ID). Six elements name a topic, not a subscription: SNS calls
 * that "Invalid parameter: SubscriptionId".
 */
export function parseSubscriptionArn(value: string | undefined): SubscriptionRef {
  if (value === undefined || value === '') {
    throw snsErrors.invalidParameterReason('SubscriptionArn', 'no value for required parameter');
  }
  const parts = value.split(':');
  if (parts.length < 6) {
    throw snsErrors.invalidParameterReason('SubscriptionArn', `An ARN must have at least 6 elements, not ${parts.length}`);
  }
  if (parts.length === 6) throw snsErrors.invalidParameter('SubscriptionId');
  const [arn, , service, region, account, name, id] = parts;
  if (arn !== 'arn' || service !== 'sns' || parts.length !== 7 || !id) throw snsErrors.invalidParameter('SubscriptionArn');
  return { region, account, name, id };
}

/** The parts of any ARN (for endpoints: arn:aws:sqs:…, arn:aws:lambda:…), or undefined when it is not one. */
export function splitArn(value: string): { service: string; region: string; account: string; resource: string } | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || !parts[1]) return undefined;
  return { service: parts[2], region: parts[3], account: parts[4], resource: parts.slice(5).join(':') };
}
