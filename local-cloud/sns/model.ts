/** What SNS keeps about a topic and its subscriptions (persisted as JSON, see storage.ts). */

export interface Tag {
  Key: string;
  Value: string;
}

export interface TopicRecord {
  name: string;
  arn: string;
  /** Attributes set by CreateTopic / SetTopicAttributes (DisplayName, Policy, DeliveryPolicy…), as given. */
  attributes: Record<string, string>;
  tags: Tag[];
  /** Unsubscribes so far: GetTopicAttributes reports them as SubscriptionsDeleted. */
  subscriptionsDeleted: number;
  createdAt: number;
}

export type Protocol = 'lambda' | 'sqs' | 'email' | 'email-json' | 'http' | 'https';

export interface SubscriptionRecord {
  arn: string;
  topicArn: string;
  protocol: Protocol;
  endpoint: string;
  owner: string;
  /** Who subscribed (GetSubscriptionAttributes' SubscriptionPrincipal). */
  principal: string;
  /** RawMessageDelivery, FilterPolicy, FilterPolicyScope, RedrivePolicy, DeliveryPolicy, SubscriptionRoleArn. */
  attributes: Record<string, string>;
  pendingConfirmation: boolean;
  confirmationWasAuthenticated: boolean;
  /** The token the confirmation message carries; ConfirmSubscription takes it back. */
  token: string;
  createdAt: number;
}

/** Endpoints that confirm a subscription themselves; the others answer at once. */
export function needsConfirmation(protocol: Protocol): boolean {
  return protocol === 'email' || protocol === 'email-json' || protocol === 'http' || protocol === 'https';
}

/** Raw delivery only makes sense where the endpoint receives a body: queues and web hooks. */
export function supportsRawDelivery(protocol: Protocol): boolean {
  return protocol === 'sqs' || protocol === 'http' || protocol === 'https';
}

/** How ListSubscriptions shows a subscription's ARN: still "PendingConfirmation" until confirmed. */
export function listedArn(sub: SubscriptionRecord): string {
  return sub.pendingConfirmation ? 'PendingConfirmation' : sub.arn;
}
