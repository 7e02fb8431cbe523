import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Cloud } from '../cloud.ts';
import type { CallContext } from '../core/context.ts';
import { AwsError, toAwsError } from '../protocol/errors.ts';
import { parseSubscriptionArn, parseTopicArn, splitArn, type TopicRef } from './arns.ts';
import { Dispatcher, type DeliveryTarget } from './deliveries/dispatcher.ts';
import { snsErrors } from './errors.ts';
import { compileFilterPolicy, type CompiledPolicy, type Scope } from './filter-policy/policy.ts';
import { needsConfirmation, type SubscriptionRecord, type Tag, type TopicRecord } from './model.ts';
import type { Notification } from './notification.ts';
import { Outbox, type OutboxMessage } from './outbox.ts';
import { checkMessage, MAX_MESSAGE_BYTES, type PublishInput } from './publish.ts';
import { SnsRealism } from './realism.ts';
import { SnsStorage } from './storage.ts';
import { checkEndpoint, checkProtocol } from './endpoints.ts';
import { orderKey, page, type Page } from './paging.ts';
import { filterScope, sameAttributes, subscriptionAttributesView, validateSubscriptionAttributes } from './subscription-attributes.ts';
import { topicAttributesView, validateTopicAttribute } from './topic-attributes.ts';
import { authorizeOnTopic, refuseOtherAccount, type PolicyCheck } from './topic-policy.ts';

export type { PublishInput } from './publish.ts';
export type { Page } from './paging.ts';

export interface BatchEntryInput extends PublishInput {
  Id?: string;
}

export interface BatchResult {
  Successful: Array<{ Id: string; MessageId: string }>;
  Failed: Array<{ Id: string; Code: string; Message: string; SenderFault: boolean }>;
}

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const MAX_TAGS = 50;
const BATCH_ID = /^[A-Za-z0-9_-]+$/;

/**
 * SNS state and behaviour: topics, subscriptions (confirmed at once for Lambda and SQS, by
 * token for email and HTTP/S), publishing and the deliveries that follow. The query adapter
 * (query.ts) reads requests and shapes answers; deliveries/ carries messages to endpoints.
 */
export class SnsBackend {
  private readonly topics = new Map<string, TopicRecord>();
  private readonly subscriptions = new Map<string, SubscriptionRecord>();
  /** Subscription ARNs per topic ARN, in the order they were made. */
  private readonly byTopic = new Map<string, Set<string>>();
  private readonly tokens = new Map<string, string>();
  private readonly filters = new Map<string, { text: string; scope: Scope; policy: CompiledPolicy }>();
  private readonly storage: SnsStorage;
  private readonly dispatcher: Dispatcher;
  private readonly realism: SnsRealism;

  constructor(readonly cloud: Cloud) {
    this.storage = new SnsStorage(cloud.store);
    this.realism = new SnsRealism(cloud.realism);
    this.dispatcher = new Dispatcher(cloud, new Outbox(cloud.store.dir ? join(cloud.store.dir, 'outbox') : null));
    for (const doc of this.storage.load()) {
      this.track(doc.topic);
      for (const sub of doc.subscriptions) this.add(sub);
    }
  }

  topicArn(name: string): string {
    return `arn:aws:sns:${this.cloud.region}:${this.cloud.accountId}:${name}`;
  }

  /** Emails SNS has "sent" (the latest ones); the files are in <data folder>/outbox/. */
  outbox(): readonly OutboxMessage[] {
    return this.dispatcher.outbox.messages();
  }

  // ---- topics ----

  createTopic(ctx: CallContext, name: string | undefined, attributes: Record<string, string>, tags: Tag[]): string {
    const requested = { ...attributes };
    const fifo = requested.FifoTopic?.toLowerCase() === 'true';
    if (!fifo) delete requested.FifoTopic; // FifoTopic=false is the default and is not kept
    // A FIFO topic's name ends in .fifo, and only a FIFO topic's name may.
    const baseName = fifo ? (name?.endsWith('.fifo') ? name.slice(0, -'.fifo'.length) : undefined) : name;
    if (baseName === undefined || !TOPIC_NAME.test(baseName) || (name?.length ?? 0) > 256) {
      throw snsErrors.invalidParameter('Topic Name');
    }
    if (fifo) {
      throw new AwsError('UnsupportedOperation', 'FIFO topics are not supported by the local cloud: create a standard topic (no FifoTopic attribute and no .fifo suffix).');
    }
    const arn = this.topicArn(baseName);
    ctx.cloud.authorize(ctx, 'SNS:CreateTopic', arn);
    for (const [attribute, value] of Object.entries(requested)) validateTopicAttribute(attribute, value, true, this.policyCheck(arn));
    checkTags(tags);

    const existing = this.topics.get(baseName);
    if (existing) {
      // Same name, and nothing given that differs: the existing topic is the answer.
      for (const [attribute, value] of Object.entries(requested)) {
        if (existing.attributes[attribute] !== value) {
          throw snsErrors.invalidParameter('Attributes Reason: Topic already exists with different attributes');
        }
      }
      for (const tag of tags) {
        if (!existing.tags.some((t) => t.Key === tag.Key && t.Value === tag.Value)) {
          throw snsErrors.invalidParameter('Tags Reason: Topic already exists with different tags');
        }
      }
      return arn;
    }
    if (tags.length > MAX_TAGS) throw snsErrors.tagLimitExceeded();
    const topic: TopicRecord = { name: baseName, arn, attributes: requested, tags: [...tags], subscriptionsDeleted: 0, createdAt: Date.now() };
    this.track(topic);
    this.storage.save(topic.name);
    return arn;
  }

  getTopicAttributes(ctx: CallContext, arn: string | undefined): Record<string, string> {
    const topic = this.topicFor(ctx, 'SNS:GetTopicAttributes', arn);
    authorizeOnTopic(ctx, 'SNS:GetTopicAttributes', topic);
    return topicAttributesView(topic, this.cloud.accountId, this.subscriptionsOf(topic.arn));
  }

  setTopicAttributes(ctx: CallContext, arn: string | undefined, name: string | undefined, value: string | undefined): void {
    const topic = this.topicFor(ctx, 'SNS:SetTopicAttributes', arn);
    authorizeOnTopic(ctx, 'SNS:SetTopicAttributes', topic);
    if (!name || name === 'FifoTopic') throw snsErrors.invalidParameter('AttributeName');
    validateTopicAttribute(name, value ?? '', false, this.policyCheck(topic.arn));
    if ((value ?? '') === '' && name !== 'DisplayName') delete topic.attributes[name];
    else topic.attributes[name] = value ?? '';
    this.storage.save(topic.name);
  }

  listTopics(ctx: CallContext, nextToken: string | undefined): Page<string> {
    ctx.cloud.authorize(ctx, 'SNS:ListTopics', this.topicArn('*'));
    const arns = [...this.topics.values()].map((t) => t.arn).sort();
    return page(arns, nextToken, (arn) => arn);
  }

  deleteTopic(ctx: CallContext, arn: string | undefined): void {
    const ref = this.ref(arn);
    if (ref.account !== this.cloud.accountId) refuseOtherAccount(ctx, 'SNS:DeleteTopic', arn!);
    const topic = this.topics.get(ref.name);
    if (topic) authorizeOnTopic(ctx, 'SNS:DeleteTopic', topic);
    else ctx.cloud.authorize(ctx, 'SNS:DeleteTopic', this.topicArn(ref.name));
    if (!topic) return; // deleting a topic that is gone succeeds
    for (const sub of this.subscriptionsOf(topic.arn)) this.forget(sub);
    this.byTopic.delete(topic.arn);
    this.topics.delete(topic.name);
    this.storage.remove(topic.name);
  }

  // ---- tags ----

  tagResource(ctx: CallContext, arn: string | undefined, tags: Tag[]): void {
    const topic = this.taggable(arn);
    ctx.cloud.authorize(ctx, 'SNS:TagResource', topic.arn);
    checkTags(tags);
    const next = [...topic.tags];
    for (const tag of tags) {
      const index = next.findIndex((t) => t.Key === tag.Key);
      if (index === -1) next.push(tag);
      else next[index] = tag;
    }
    if (next.length > MAX_TAGS) throw snsErrors.tagLimitExceeded();
    topic.tags = next;
    this.storage.save(topic.name);
  }

  untagResource(ctx: CallContext, arn: string | undefined, keys: string[]): void {
    const topic = this.taggable(arn);
    ctx.cloud.authorize(ctx, 'SNS:UntagResource', topic.arn);
    topic.tags = topic.tags.filter((t) => !keys.includes(t.Key));
    this.storage.save(topic.name);
  }

  listTagsForResource(ctx: CallContext, arn: string | undefined): Tag[] {
    const topic = this.taggable(arn);
    authorizeOnTopic(ctx, 'SNS:ListTagsForResource', topic);
    return topic.tags.map((t) => ({ ...t }));
  }

  // ---- subscriptions ----

  /** Returns the subscription ARN, or "pending confirmation" for an unconfirmed one unless the caller asked for the ARN. */
  subscribe(
    ctx: CallContext,
    input: { TopicArn?: string; Protocol?: string; Endpoint?: string; Attributes: Record<string, string>; ReturnSubscriptionArn?: boolean },
  ): string {
    const topic = this.topicFor(ctx, 'SNS:Subscribe', input.TopicArn);
    const protocol = checkProtocol(input.Protocol);
    const endpoint = checkEndpoint(protocol, input.Endpoint);
    const attributes = validateSubscriptionAttributes(input.Attributes, {}, protocol, true);
    authorizeOnTopic(ctx, 'SNS:Subscribe', topic, { 'sns:Protocol': protocol, 'sns:Endpoint': endpoint });

    const answer = (sub: SubscriptionRecord) =>
      sub.pendingConfirmation && !input.ReturnSubscriptionArn ? 'pending confirmation' : sub.arn;
    const existing = this.subscriptionsOf(topic.arn).find((s) => s.protocol === protocol && s.endpoint === endpoint);
    if (existing) {
      if (!sameAttributes(existing.attributes, attributes)) {
        throw snsErrors.invalidParameter('Attributes Reason: Subscription already exists with different attributes');
      }
      // Subscribing again while unconfirmed sends the confirmation request again.
      if (existing.pendingConfirmation) this.dispatcher.requestConfirmation(topic, existing);
      return answer(existing);
    }

    const pending = needsConfirmation(protocol);
    const sub: SubscriptionRecord = {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      protocol,
      endpoint,
      owner: this.cloud.accountId,
      principal: ctx.caller.arn,
      attributes,
      pendingConfirmation: pending,
      confirmationWasAuthenticated: !pending,
      token: randomBytes(144).toString('hex'),
      createdAt: Date.now(),
    };
    this.add(sub);
    this.storage.save(topic.name);
    if (pending) this.dispatcher.requestConfirmation(topic, sub);
    else this.realism.started(sub.arn);
    return answer(sub);
  }

  confirmSubscription(ctx: CallContext, topicArn: string | undefined, token: string | undefined): string {
    let ref: TopicRef;
    try {
      ref = this.ref(topicArn);
    } catch {
      throw snsErrors.invalidParameter('Topic');
    }
    if (!token || !/^[0-9a-f]+$/.test(token) || token.length % 2 !== 0) throw snsErrors.invalidToken();
    const sub = this.subscriptions.get(this.tokens.get(token) ?? '');
    if (!sub || sub.topicArn !== this.topicArn(ref.name) || ref.account !== this.cloud.accountId) {
      throw snsErrors.invalidParameter('Token');
    }
    ctx.cloud.authorize(ctx, 'SNS:ConfirmSubscription', sub.topicArn);
    if (sub.pendingConfirmation) {
      sub.pendingConfirmation = false;
      // Confirming through the link in the message is an unsigned request.
      sub.confirmationWasAuthenticated = ctx.caller.accessKeyId !== 'anonymous';
      this.realism.started(sub.arn);
      this.saveTopicOf(sub);
      this.cloud.log({ service: 'sns', action: 'ConfirmSubscription', detail: `${sub.protocol}:${sub.endpoint} confirmed (${sub.arn})` });
    }
    return sub.arn;
  }

  unsubscribe(ctx: CallContext, arn: string | undefined): void {
    parseSubscriptionArn(arn);
    const sub = this.subscriptions.get(arn!);
    if (!sub) return; // already gone: unsubscribing again succeeds
    ctx.cloud.authorize(ctx, 'SNS:Unsubscribe', sub.topicArn);
    this.forget(sub);
    const topic = this.topicByArn(sub.topicArn);
    if (topic) {
      topic.subscriptionsDeleted++;
      this.storage.save(topic.name);
    }
  }

  listSubscriptions(ctx: CallContext, nextToken: string | undefined): Page<SubscriptionRecord> {
    ctx.cloud.authorize(ctx, 'SNS:ListSubscriptions', this.topicArn('*'));
    return page([...this.subscriptions.values()], nextToken, orderKey);
  }

  listSubscriptionsByTopic(ctx: CallContext, topicArn: string | undefined, nextToken: string | undefined): Page<SubscriptionRecord> {
    const topic = this.topicFor(ctx, 'SNS:ListSubscriptionsByTopic', topicArn);
    authorizeOnTopic(ctx, 'SNS:ListSubscriptionsByTopic', topic);
    return page(this.subscriptionsOf(topic.arn), nextToken, orderKey);
  }

  getSubscriptionAttributes(ctx: CallContext, arn: string | undefined): Record<string, string> {
    const sub = this.subscription(arn);
    ctx.cloud.authorize(ctx, 'SNS:GetSubscriptionAttributes', sub.topicArn);
    return subscriptionAttributesView(sub);
  }

  setSubscriptionAttributes(ctx: CallContext, arn: string | undefined, name: string | undefined, value: string | undefined): void {
    const sub = this.subscription(arn);
    ctx.cloud.authorize(ctx, 'SNS:SetSubscriptionAttributes', sub.topicArn);
    if (!name) throw snsErrors.invalidParameter('AttributeName');
    const next = validateSubscriptionAttributes({ [name]: value ?? '' }, sub.attributes, sub.protocol, false);
    this.realism.filterChanging(sub, next);
    sub.attributes = next;
    this.filters.delete(sub.arn);
    this.saveTopicOf(sub);
  }

  // ---- publishing ----

  publish(ctx: CallContext, input: PublishInput): string {
    if (!input.TopicArn && !input.TargetArn && !input.PhoneNumber) {
      throw snsErrors.invalidParameterReason('TopicArn or TargetArn', 'no value for required parameter');
    }
    if (!input.TopicArn && !input.TargetArn) {
      throw new AwsError('UnsupportedOperation', 'The local cloud does not send SMS: publish to a topic (TopicArn).');
    }
    const parameter = input.TopicArn ? 'TopicArn' : 'TargetArn';
    const arn = input.TopicArn || input.TargetArn;
    // A TargetArn names a topic or a mobile endpoint; only topics exist here.
    if (parameter === 'TargetArn' && splitArn(arn!)?.resource.includes('/')) {
      throw snsErrors.invalidParameterReason('TargetArn', 'No endpoint found for the target arn specified');
    }
    const ref = this.ref(arn, parameter);
    const checked = checkMessage(input);
    const topic = this.topicOfRef(ctx, 'SNS:Publish', ref, arn!);
    authorizeOnTopic(ctx, 'SNS:Publish', topic);
    return this.dispatch(topic, checked);
  }

  publishBatch(ctx: CallContext, topicArn: string | undefined, entries: BatchEntryInput[]): BatchResult {
    const ref = this.ref(topicArn);
    if (entries.length === 0) throw snsErrors.emptyBatch();
    if (entries.length > 10) throw snsErrors.tooManyEntries();
    const ids = new Set<string>();
    let total = 0;
    for (const entry of entries) {
      const id = entry.Id ?? '';
      if (id.length > 80) throw snsErrors.batchIdTooLong(id);
      if (!BATCH_ID.test(id)) throw snsErrors.batchIdInvalid(id);
      if (ids.has(id)) throw snsErrors.batchIdsNotDistinct();
      ids.add(id);
      total += Buffer.byteLength(entry.Message ?? '');
    }
    if (total > MAX_MESSAGE_BYTES) throw snsErrors.batchTooLong();
    const topic = this.topicOfRef(ctx, 'SNS:Publish', ref, topicArn!);
    authorizeOnTopic(ctx, 'SNS:Publish', topic);

    const result: BatchResult = { Successful: [], Failed: [] };
    entries.forEach((entry, index) => {
      const member = `publishBatchRequestEntries.${index + 1}.member.messageAttributes`;
      let checked: ReturnType<typeof checkMessage>;
      try {
        checked = checkMessage(entry, member);
      } catch (err) {
        const error = toAwsError(err);
        // Attribute errors fail the whole request, as on AWS; the others fail their entry only.
        if (error.code === 'ParameterValueInvalid' || error.code === 'ValidationError') throw error;
        result.Failed.push({ Id: entry.Id!, Code: error.code, Message: error.message, SenderFault: error.fault === 'Sender' });
        return;
      }
      result.Successful.push({ Id: entry.Id!, MessageId: this.dispatch(topic, checked) });
    });
    return result;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  // ---- internals ----

  private dispatch(topic: TopicRecord, checked: ReturnType<typeof checkMessage>): string {
    const notification: Notification = {
      messageId: randomUUID(),
      topicArn: topic.arn,
      subject: checked.subject,
      message: checked.message,
      perProtocol: checked.perProtocol,
      attributes: checked.attributes,
      timestamp: new Date().toISOString(),
      signatureVersion: topic.attributes.SignatureVersion === '2' ? '2' : '1',
    };
    const targets: DeliveryTarget[] = [];
    for (const sub of this.subscriptionsOf(topic.arn)) {
      if (sub.pendingConfirmation) continue;
      if (!this.realism.receiving(sub.arn)) {
        this.cloud.log({ service: 'sns', action: 'Deliver', detail: `${sub.arn} is not receiving yet (a new subscription takes a moment on AWS): message ${notification.messageId} not delivered to it` });
        continue;
      }
      targets.push({ sub, filter: this.filterOf(sub) });
    }
    this.dispatcher.publish(topic, targets, notification);
    return notification.messageId;
  }

  private filterOf(sub: SubscriptionRecord): DeliveryTarget['filter'] {
    // Under realism, a changed filter policy decides only once it has propagated.
    const inForce = this.realism.filterInForce(sub);
    const text = inForce.FilterPolicy;
    if (text === undefined) return undefined;
    const scope = filterScope(inForce);
    const cached = this.filters.get(sub.arn);
    if (cached && cached.text === text && cached.scope === scope) return cached;
    let policy: CompiledPolicy;
    try {
      policy = compileFilterPolicy(text, scope);
    } catch (err) {
      // Checked when it was set; a policy saved by another version that no longer passes lets nothing through.
      this.cloud.log({ service: 'sns', action: 'Filter', detail: `the filter policy of ${sub.arn} is invalid`, error: (err as Error).message });
      policy = { alternatives: [] };
    }
    const compiled = { text, scope, policy };
    this.filters.set(sub.arn, compiled);
    return compiled;
  }

  /** A topic ARN checked for this region (another region's topic cannot be reached from here). */
  private ref(arn: string | undefined, parameter = 'TopicArn'): TopicRef {
    const ref = parseTopicArn(arn, parameter);
    if (ref.region !== this.cloud.region) throw snsErrors.invalidParameter(parameter);
    return ref;
  }

  /** The topic a call names; another account's topic is refused as AWS refuses it (AuthorizationError). */
  private topicFor(ctx: CallContext, action: string, arn: string | undefined): TopicRecord {
    return this.topicOfRef(ctx, action, this.ref(arn), arn!);
  }

  private topicOfRef(ctx: CallContext, action: string, ref: TopicRef, arn: string): TopicRecord {
    if (ref.account !== this.cloud.accountId) refuseOtherAccount(ctx, action, arn);
    return this.topicByRef(ref);
  }

  /** What a topic policy is checked against: its topic, and the roles it may name. */
  private policyCheck(topicArn: string): Omit<PolicyCheck, 'prefix'> {
    const iam = this.cloud.iam;
    return {
      topicArn,
      account: this.cloud.accountId,
      roleExists: (arn) => iam.roleByArn(arn) !== undefined,
      roleNamed: (name) => iam.roleByArn(iam.roleArn(name)) !== undefined,
    };
  }

  private topicByRef(ref: TopicRef): TopicRecord {
    const topic = ref.account === this.cloud.accountId ? this.topics.get(ref.name) : undefined;
    if (!topic) throw snsErrors.topicNotFound();
    return topic;
  }

  private topicByArn(arn: string): TopicRecord | undefined {
    return this.topics.get(arn.split(':')[5]);
  }

  /** Tagging names any resource; only topics exist here. */
  private taggable(arn: string | undefined): TopicRecord {
    const ref = this.ref(arn, 'ResourceArn');
    const topic = ref.account === this.cloud.accountId ? this.topics.get(ref.name) : undefined;
    if (!topic) throw snsErrors.resourceNotFound();
    return topic;
  }

  private subscription(arn: string | undefined): SubscriptionRecord {
    parseSubscriptionArn(arn);
    const sub = this.subscriptions.get(arn!);
    if (!sub) throw snsErrors.subscriptionNotFound();
    return sub;
  }

  private subscriptionsOf(topicArn: string): SubscriptionRecord[] {
    return [...(this.byTopic.get(topicArn) ?? [])].map((arn) => this.subscriptions.get(arn)!);
  }

  private track(topic: TopicRecord): void {
    this.topics.set(topic.name, topic);
    if (!this.byTopic.has(topic.arn)) this.byTopic.set(topic.arn, new Set());
    this.storage.track(topic.name, () => ({ topic, subscriptions: this.subscriptionsOf(topic.arn) }));
  }

  private add(sub: SubscriptionRecord): void {
    this.subscriptions.set(sub.arn, sub);
    this.tokens.set(sub.token, sub.arn);
    let set = this.byTopic.get(sub.topicArn);
    if (!set) this.byTopic.set(sub.topicArn, (set = new Set()));
    set.add(sub.arn);
  }

  private forget(sub: SubscriptionRecord): void {
    this.realism.forget(sub.arn);
    this.subscriptions.delete(sub.arn);
    this.tokens.delete(sub.token);
    this.filters.delete(sub.arn);
    this.byTopic.get(sub.topicArn)?.delete(sub.arn);
  }

  private saveTopicOf(sub: SubscriptionRecord): void {
    const topic = this.topicByArn(sub.topicArn);
    if (topic) this.storage.save(topic.name);
  }
}

function checkTags(tags: Tag[]): void {
  const keys = new Set(tags.map((t) => t.Key));
  if (keys.size < tags.length) throw snsErrors.invalidParameter('Duplicated keys are not allowed.');
  for (const [index, tag] of tags.entries()) {
    if (!tag.Key) throw snsErrors.validation(`tags.${index + 1}.member.key`, 'Member must not be null');
  }
}
