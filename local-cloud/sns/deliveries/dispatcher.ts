import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.ts';
import { matchesAttributes, matchesBody } from '../filter-policy/match.ts';
import type { CompiledPolicy, Scope } from '../filter-policy/policy.ts';
import type { MessageAttribute } from '../message-attributes.ts';
import type { SubscriptionRecord, TopicRecord } from '../model.ts';
import { envelope, lambdaEvent, messageFor, type Notification, type Signed } from '../notification.ts';
import type { Outbox } from '../outbox.ts';
import { MessageSigner } from '../signing.ts';
import { confirmationDocument, confirmationEmail, notificationEmail, sender } from './email.ts';
import { DeliveryError } from './failure.ts';
import { hasManagedRetries, retryDelayMs, retryPhase } from './retry-policy.ts';
import { postToEndpoint } from './http.ts';
import { invokeFunction } from './lambda.ts';
import { sendToQueue } from './sqs.ts';

/** A subscription as a delivery sees it: its record and its compiled filter policy, if any. */
export interface DeliveryTarget {
  sub: SubscriptionRecord;
  filter?: { policy: CompiledPolicy; scope: Scope };
}

/**
 * Carries published messages to subscriptions, after Publish has answered (deliveries never
 * hold up the publisher). Each subscription's filter policy decides first; then the message goes
 * to the function, queue, mailbox or URL, signed with the cloud's RSA key. A server-side failure
 * to a function or queue is retried by SNS's delivery policy (retry-policy.ts); a delivery that
 * still fails goes to the subscription's dead-letter queue when it has one (RedrivePolicy);
 * either way the live log says what happened.
 */
export class Dispatcher {
  private readonly signer: MessageSigner;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Retries waiting for their time; close() wakes them to give up. */
  private readonly waiting = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly cloud: Cloud,
    readonly outbox: Outbox,
  ) {
    this.signer = new MessageSigner(cloud);
  }

  publish(topic: TopicRecord, targets: readonly DeliveryTarget[], n: Notification): void {
    if (targets.length === 0) return;
    this.later(() => Promise.all(targets.map((target) => this.deliver(topic, target, n))));
  }

  /** Sends the confirmation request a new email or HTTP/S subscription needs. */
  requestConfirmation(topic: TopicRecord, sub: SubscriptionRecord): void {
    this.later(() => this.sendConfirmation(topic, sub).catch((err: Error) => this.failed(sub, 'confirmation request', err)));
  }

  /** Waits for deliveries under way; later ones are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.waiting]) wake();
    await Promise.allSettled([...this.inFlight]);
  }

  // ---- URLs a message carries ----

  unsubscribeUrl(subscriptionArn: string): string {
    return `${this.cloud.baseUrl}/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`;
  }

  subscribeUrl(topicArn: string, token: string): string {
    return `${this.cloud.baseUrl}/?Action=ConfirmSubscription&TopicArn=${topicArn}&Token=${token}`;
  }

  private signingCertUrl(): string {
    return this.signer.certificateUrl();
  }

  // ---- internals ----

  private later(work: () => Promise<unknown>): void {
    if (this.closed) return;
    const task = new Promise<void>((resolve) => setImmediate(resolve)).then(work);
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async deliver(topic: TopicRecord, target: DeliveryTarget, n: Notification): Promise<void> {
    const { sub, filter } = target;
    if (filter && !passes(filter, n, sub)) {
      this.cloud.log({ service: 'sns', action: 'Filter', detail: `message ${n.messageId} not sent to ${describe(sub)}: its filter policy does not match` });
      return;
    }
    await this.signer.ready();
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.send(topic, sub, n);
        this.cloud.log({
          service: 'sns',
          action: 'Deliver',
          detail: `message ${n.messageId} → ${describe(sub)}${attempt > 1 ? ` (attempt ${attempt})` : ''}`,
          ms: Math.round((performance.now() - started) * 100) / 100,
        });
        return;
      } catch (err) {
        const delay = this.retryDelay(sub, err as Error, attempt);
        if (delay === undefined) {
          this.failed(sub, `message ${n.messageId}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`, err as Error);
          await this.toDeadLetterQueue(topic, sub, n);
          return;
        }
        this.retrying(sub, n, err as Error, attempt, delay);
        if (!(await this.wait(delay))) return; // closing: the message is dropped, as README says
      }
    }
  }

  /** The wait before the next attempt, or undefined when the failure is final. */
  private retryDelay(sub: SubscriptionRecord, err: Error, attempt: number): number | undefined {
    if (this.closed || !hasManagedRetries(sub.protocol)) return undefined;
    const serverSide = err instanceof DeliveryError ? err.serverSide : true;
    if (!serverSide) return undefined;
    const realism = this.cloud.realism;
    return retryDelayMs(attempt, realism.name === 'aws' ? realism.scale : 1);
  }

  private retrying(sub: SubscriptionRecord, n: Notification, err: Error, attempt: number, delayMs: number): void {
    // Every retry of the first phases is a line; the 20 s post-backoff phase says so once an hour.
    if (retryPhase(attempt) === 'post-backoff' && attempt % 180 !== 16) return;
    const reason = err instanceof DeliveryError ? err.reason : `${err.name}: ${err.message}`;
    this.cloud.log({
      service: 'sns',
      action: 'Retry',
      detail: `message ${n.messageId} → ${describe(sub)}: attempt ${attempt} failed; ${retryPhase(attempt)} in ${delayMs} ms`,
      error: reason,
    });
  }

  /** Resolves true after `ms`, or false at once when the dispatcher closes. */
  private wait(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.waiting.delete(wake);
        resolve(true);
      }, ms);
      this.waiting.add(wake);
    });
  }

  private async send(topic: TopicRecord, sub: SubscriptionRecord, n: Notification): Promise<void> {
    const raw = sub.attributes.RawMessageDelivery === 'true';
    switch (sub.protocol) {
      case 'lambda':
        return invokeFunction(this.cloud, sub.endpoint, topic.arn, lambdaEvent(n, sub.arn, this.signed(sub, n)));
      case 'sqs': {
        const { body, attributes } = this.queueMessage(sub, n);
        return sendToQueue(this.cloud, sub.endpoint, topic.arn, body, attributes);
      }
      case 'email': {
        const email = notificationEmail(messageFor(n, 'email'), n.subject, topic.attributes.DisplayName, this.unsubscribeUrl(sub.arn));
        await this.mail(topic, sub, email.from, email.subject, email.body, 'Notification', n.messageId);
        return;
      }
      case 'email-json': {
        const body = JSON.stringify(envelope(n, sub.protocol, this.signed(sub, n)), null, 2);
        await this.mail(topic, sub, sender(topic.attributes.DisplayName), n.subject ?? 'AWS Notification Message', body, 'Notification', n.messageId);
        return;
      }
      case 'http':
      case 'https': {
        const body = raw ? messageFor(n, sub.protocol) : JSON.stringify(envelope(n, sub.protocol, this.signed(sub, n)));
        return postToEndpoint(sub.endpoint, body, {
          messageType: 'Notification',
          messageId: n.messageId,
          topicArn: topic.arn,
          subscriptionArn: sub.arn,
          raw,
        });
      }
    }
  }

  /** SQS gets the JSON envelope, or with RawMessageDelivery the bare message with its attributes as SQS message attributes. */
  private queueMessage(sub: SubscriptionRecord, n: Notification): { body: string; attributes: Record<string, MessageAttribute> } {
    if (sub.attributes.RawMessageDelivery === 'true') return { body: messageFor(n, 'sqs'), attributes: n.attributes };
    return { body: JSON.stringify(envelope(n, 'sqs', this.signed(sub, n))), attributes: {} };
  }

  private async sendConfirmation(topic: TopicRecord, sub: SubscriptionRecord): Promise<void> {
    await this.signer.ready();
    const messageId = randomUUID();
    const subscribeUrl = this.subscribeUrl(topic.arn, sub.token);
    const timestamp = new Date().toISOString();
    const document = () => {
      const fields = confirmationDocument({ messageId, token: sub.token, topicArn: topic.arn, subscribeUrl, timestamp });
      const version = topic.attributes.SignatureVersion === '2' ? '2' : '1';
      return {
        ...fields,
        SignatureVersion: version,
        Signature: this.signer.sign(fields, version),
        SigningCertURL: this.signingCertUrl(),
      };
    };
    if (sub.protocol === 'email') {
      const email = confirmationEmail(topic.arn, topic.attributes.DisplayName, subscribeUrl);
      await this.mail(topic, sub, email.from, email.subject, email.body, 'SubscriptionConfirmation', messageId);
    } else if (sub.protocol === 'email-json') {
      const body = JSON.stringify(document(), null, 2);
      const subject = 'AWS Notification - Subscription Confirmation';
      await this.mail(topic, sub, sender(topic.attributes.DisplayName), subject, body, 'SubscriptionConfirmation', messageId);
    } else {
      await postToEndpoint(sub.endpoint, JSON.stringify(document()), { messageType: 'SubscriptionConfirmation', messageId, topicArn: topic.arn });
    }
    this.cloud.log({ service: 'sns', action: 'ConfirmationRequest', detail: `sent to ${describe(sub)}; confirm with ${subscribeUrl}` });
  }

  private async mail(
    topic: TopicRecord,
    sub: SubscriptionRecord,
    from: string,
    subject: string,
    body: string,
    kind: 'SubscriptionConfirmation' | 'Notification',
    messageId: string,
  ): Promise<void> {
    const stored = await this.outbox.deliver({
      topicArn: topic.arn,
      topicName: topic.name,
      to: sub.endpoint,
      from,
      subject,
      body,
      format: sub.protocol === 'email' ? 'email' : 'email-json',
      kind,
      messageId,
      date: new Date(),
    });
    this.cloud.log({
      service: 'sns',
      action: 'Email',
      detail: `${kind} "${subject}" to ${sub.endpoint}${stored.file ? ` (outbox: ${stored.file})` : ''}`,
    });
  }

  private signed(sub: SubscriptionRecord, n: Notification): Signed {
    const message = messageFor(n, sub.protocol);
    return {
      signature: this.signer.sign(
        { Type: 'Notification', MessageId: n.messageId, TopicArn: n.topicArn, Subject: n.subject, Message: message, Timestamp: n.timestamp },
        n.signatureVersion,
      ),
      signingCertUrl: this.signingCertUrl(),
      unsubscribeUrl: this.unsubscribeUrl(sub.arn),
    };
  }

  /** RedrivePolicy: a message SNS could not deliver goes to this queue (whose policy must let SNS in, too). */
  private async toDeadLetterQueue(topic: TopicRecord, sub: SubscriptionRecord, n: Notification): Promise<void> {
    const policy = sub.attributes.RedrivePolicy;
    if (!policy) return;
    const dlq = (JSON.parse(policy) as { deadLetterTargetArn: string }).deadLetterTargetArn;
    try {
      const { body, attributes } = this.queueMessage(sub, n);
      sendToQueue(this.cloud, dlq, topic.arn, body, attributes);
      this.cloud.log({ service: 'sns', action: 'DeadLetter', detail: `message ${n.messageId} for ${describe(sub)} moved to ${dlq}` });
    } catch (err) {
      this.failed(sub, `dead-letter copy of message ${n.messageId}`, err as Error);
    }
  }

  private failed(sub: SubscriptionRecord, what: string, err: Error): void {
    const reason = err instanceof DeliveryError ? err.reason : `${err.name}: ${err.message}`;
    this.cloud.log({ service: 'sns', action: 'Deliver', detail: `${what} not delivered to ${describe(sub)}`, error: reason });
  }
}

function passes(filter: NonNullable<DeliveryTarget['filter']>, n: Notification, sub: SubscriptionRecord): boolean {
  if (filter.scope === 'MessageBody') return matchesBody(filter.policy, messageFor(n, sub.protocol));
  return matchesAttributes(filter.policy, n.attributes);
}

function describe(sub: SubscriptionRecord): string {
  return `${sub.protocol}:${sub.endpoint}`;
}
