/**
 * Probe orders, and reading them back from the orders queue: shared by the checks of the steps
 * that take orders in (step 2 invokes the intake function directly, step 3 calls the API).
 * Every probe carries a marker, so the check can tell its own messages from anyone else's, and
 * deletes each one it finds.
 */
import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { errorName } from '../lib/errors.ts';
import { ORDER_ATTRIBUTES, type QueuedOrder } from '../lib/pipeline.ts';
import { settle, within } from './patience.ts';

/** What the shop sends: the body, and its Content-Type. */
export interface OrderRequest {
  contentType?: string;
  body: string;
}

/** A request the intake must refuse with 400 (and this `error`), queuing nothing. */
export interface BadRequest extends OrderRequest {
  label: string;
  error: 'InvalidJson' | 'UnsupportedContentType' | 'BodyTooLarge' | 'InvalidOrder';
  /** Which part of the handler refuses it, for the hint. */
  rule: string;
}

/** A run's marker: the probes' customerId, so the check recognises them on the queue. */
export const newProbeCustomer = (): string => `check-${randomUUID().slice(0, 13)}`;

const json = 'application/json';
const orderFile = 'steps/02-intake-lambda/order.ts';
const handlerFile = 'steps/02-intake-lambda/handler.ts';

export function goodOrder(customerId: string, from: string): OrderRequest {
  const order = {
    customerId,
    items: [
      { sku: 'tea-earl-grey', quantity: 2 },
      { sku: 'mug-blue', quantity: 1 },
    ],
    note: `a test order from ${from}; safe to delete`,
  };
  return { contentType: `${json}; charset=utf-8`, body: JSON.stringify(order) };
}

/** One of each kind of bad input the intake must refuse. */
export function badRequests(customerId: string): BadRequest[] {
  const order = (items: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ customerId, items, ...extra });
  const quantityRule = `the quantity rule in ${orderFile} (a whole number from 1 to LIMITS.maxQuantity)`;
  return [
    { label: 'a body that is not JSON', contentType: json, body: `{"customerId": "${customerId}", "items": [`, error: 'InvalidJson', rule: `JSON.parse in ${handlerFile}` },
    { label: 'a JSON body sent as text/plain', contentType: 'text/plain', body: order([{ sku: 'tea', quantity: 1 }]), error: 'UnsupportedContentType', rule: `the Content-Type check in ${handlerFile}` },
    {
      label: 'a 20 KB body',
      contentType: json,
      body: order([{ sku: 'tea', quantity: 1 }], { note: 'x'.repeat(20 * 1024) }),
      error: 'BodyTooLarge',
      rule: `the body size check in ${handlerFile} (LIMITS.maxBodyBytes)`,
    },
    { label: 'an order without customerId', contentType: json, body: JSON.stringify({ items: [{ sku: 'tea', quantity: 1 }], note: customerId }), error: 'InvalidOrder', rule: `the customerId rule in ${orderFile}` },
    { label: 'an order with no items', contentType: json, body: order([]), error: 'InvalidOrder', rule: `the items rule in ${orderFile}` },
    { label: 'quantity 0', contentType: json, body: order([{ sku: 'tea', quantity: 0 }]), error: 'InvalidOrder', rule: quantityRule },
    { label: 'quantity -3', contentType: json, body: order([{ sku: 'tea', quantity: -3 }]), error: 'InvalidOrder', rule: quantityRule },
    { label: 'quantity 2.5', contentType: json, body: order([{ sku: 'tea', quantity: 2.5 }]), error: 'InvalidOrder', rule: quantityRule },
    { label: 'quantity 1000000', contentType: json, body: order([{ sku: 'tea', quantity: 1_000_000 }]), error: 'InvalidOrder', rule: quantityRule },
    { label: 'a misspelt field ("quantiy")', contentType: json, body: order([{ sku: 'tea', quantiy: 1 }]), error: 'InvalidOrder', rule: `the item schema in ${orderFile}` },
  ];
}

/**
 * The first bad request of each error code: what a client sees of the API's refusals. Step 2's
 * check tries every rule on the function itself; through the API, what is left to prove is that
 * the body, its Content-Type and the function's 400 pass through unchanged, and a few requests
 * do that without spending the stage's burst.
 */
export function badRequestPerError(customerId: string): BadRequest[] {
  const seen = new Set<string>();
  return badRequests(customerId).filter((request) => {
    if (seen.has(request.error)) return false;
    seen.add(request.error);
    return true;
  });
}

/** An HTTP answer as the checks see it, from Lambda (the proxy result) or from the API. */
export interface Answer {
  status: number;
  body: Record<string, unknown> | undefined;
  text: string;
}

export function answerOf(status: number, text: string): Answer {
  let body: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  return { status, body, text };
}

/** What is wrong with the answers to the bad requests (empty when each got its 400). */
export function badAnswers(requests: BadRequest[], answers: Answer[]): { request: BadRequest; got: string }[] {
  const wrong: { request: BadRequest; got: string }[] = [];
  requests.forEach((request, i) => {
    const answer = answers[i];
    if (answer.status !== 400) wrong.push({ request, got: `${answer.status} ${clip(answer.text)}` });
    else if (answer.body?.error !== request.error || typeof answer.body?.message !== 'string') {
      wrong.push({ request, got: `400 but ${clip(answer.text)} (expected error "${request.error}" and a message)` });
    }
  });
  return wrong;
}

export const clip = (text: string, max = 160): string => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Why the check may not receive from the queue now. */
export type QueueBusy =
  /** The monitor's mapping consumes the queue (step 5): check:step-5 sends orders through it instead. */
  | { kind: 'consumed'; why: string }
  /** Messages of someone else's wait there: the check cannot run until they are gone. */
  | { kind: 'waiting'; why: string; todo: string };

/**
 * Why the check may not receive from the queue now, or undefined when it may. Receiving
 * someone else's message counts toward its maxReceiveCount; and once the monitor's event source
 * mapping (step 5) consumes the queue, our probes would be processed as orders. On AWS the
 * message counts lag up to a minute: a count above 0 is read again until it is 0, or the lag is over.
 */
export async function queueBusy(sqs: SQSClient, queueUrl: string, queueArn: string, queueName: string, step: number): Promise<QueueBusy | undefined> {
  const mappings = await eventSourceMappings(queueArn);
  if (mappings.length > 0) {
    return {
      kind: 'consumed',
      why: `the event source mapping ${mappings.join(', ')} consumes ${queueName} (step 5), and a probe order would be processed as a real one; \`npm run check:step-5\` sends an order through the whole way instead.`,
    };
  }
  const read = async () => {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
    return ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed']
      .map((name) => Number((Attributes as Record<string, string>)[name] ?? 0))
      .reduce((a, b) => a + b, 0);
  };
  const { value: waiting } = await settle(read, (count) => count === 0, within({ instant: 0, emulator: 2_000, aws: 60_000 }));
  if (waiting > 0) {
    const cli = `npm run aws -- sqs purge-queue --queue-url ${queueUrl}`;
    return {
      kind: 'waiting',
      why: `${queueName} holds ${waiting} message(s) the check did not send; receiving them would count toward their maxReceiveCount.`,
      todo: `consume them, or empty the queue (\`${cli}\`), then run \`npm run check:step-${step}\` again.`,
    };
  }
  return undefined;
}

async function eventSourceMappings(queueArn: string): Promise<string[]> {
  try {
    const { EventSourceMappings = [] } = await lambdaClient().send(new ListEventSourceMappingsCommand({ EventSourceArn: queueArn }));
    return EventSourceMappings.map((m) => m.UUID!);
  } catch (err) {
    // A local cloud without event source mappings yet cannot have any.
    if (!resolveTarget().realAws && /UnknownOperation|NotFound|404/.test(errorName(err))) return [];
    throw err;
  }
}

/** A probe read back from the queue. */
export interface QueuedProbe {
  message: Message;
  order: QueuedOrder | undefined;
}

/**
 * Long-polls the queue until every expected order id has come back (or the deadline passes),
 * then once more, briefly, for strays. Deletes every message carrying the probe marker; makes
 * anything else visible again at once. Returns the probes by order id, and the strays (messages
 * with our marker that no 202 announced: a bad order that was queued anyway).
 */
export async function readBackProbes(
  sqs: SQSClient,
  queueUrl: string,
  expected: string[],
  customerId: string,
  deadlineMs = 10_000,
): Promise<{ found: Map<string, QueuedProbe>; strays: QueuedProbe[] }> {
  const found = new Map<string, QueuedProbe>();
  const strays: QueuedProbe[] = [];
  const giveUpAt = Date.now() + deadlineMs;
  const missing = () => expected.filter((id) => !found.has(id));
  // Nothing announced (every request refused): one brief look for strays is enough.
  let lastRound = expected.length === 0;
  for (;;) {
    const waitSeconds = lastRound
      ? resolveTarget().realAws
        ? 1 // on AWS a receive without a wait samples only some servers
        : 0
      : Math.max(1, Math.min(20, Math.ceil((giveUpAt - Date.now()) / 1000)));
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: 30,
        MessageAttributeNames: ['All'],
      }),
    );
    for (const message of Messages) {
      const order = parseOrder(message.Body);
      const orderId = message.MessageAttributes?.[ORDER_ATTRIBUTES.orderId]?.StringValue ?? order?.orderId;
      const ours = (orderId !== undefined && expected.includes(orderId)) || (message.Body ?? '').includes(customerId);
      if (!ours) {
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
        continue;
      }
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      if (orderId !== undefined && expected.includes(orderId)) found.set(orderId, { message, order });
      else strays.push({ message, order });
    }
    if (lastRound && Messages.length === 0) break;
    if (missing().length === 0) lastRound = true;
    else if (Date.now() >= giveUpAt) break;
  }
  return { found, strays };
}

function parseOrder(body: string | undefined): QueuedOrder | undefined {
  try {
    const value = JSON.parse(body ?? '') as QueuedOrder;
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** What is wrong with a queued probe (undefined when it is as step 5 expects it). */
export function queuedProbeProblem(probe: QueuedProbe, sent: OrderRequest, orderId: string): string | undefined {
  const order = probe.order;
  const sentOrder = JSON.parse(sent.body) as { customerId: string; items: unknown };
  if (!order) return `its body is not JSON: ${clip(probe.message.Body ?? '')}`;
  if (order.orderId !== orderId) return `its body's orderId is ${order.orderId}, not ${orderId} (the id the 202 announced)`;
  if (order.customerId !== sentOrder.customerId || JSON.stringify(order.items) !== JSON.stringify(sentOrder.items)) {
    return `its body does not carry the order that was sent (customerId and items): ${clip(probe.message.Body ?? '')}`;
  }
  const times = order.times ?? {};
  if (typeof times.acceptedAt !== 'number' || typeof times.queuedAt !== 'number' || times.queuedAt < times.acceptedAt) {
    return `its body's times should hold acceptedAt ≤ queuedAt (epoch ms); they are ${JSON.stringify(order.times)}`;
  }
  const attributes = probe.message.MessageAttributes ?? {};
  if (attributes[ORDER_ATTRIBUTES.orderId]?.StringValue !== orderId || attributes[ORDER_ATTRIBUTES.acceptedAt]?.DataType !== 'Number') {
    return `its message attributes should be ${ORDER_ATTRIBUTES.orderId} (String) and ${ORDER_ATTRIBUTES.acceptedAt} (Number); they are ${JSON.stringify(Object.keys(attributes))}`;
  }
  return undefined;
}
