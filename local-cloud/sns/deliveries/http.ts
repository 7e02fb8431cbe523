import { DeliveryError } from './failure.ts';

const TIMEOUT_MS = 15_000;

/**
 * POSTs a message to an HTTP/S endpoint with the headers SNS sends. One attempt: a 2xx answer
 * is a delivery, anything else a failure (the topic's HTTP retry policy is not emulated).
 */
export async function postToEndpoint(
  url: string,
  body: string,
  headers: { messageType: string; messageId: string; topicArn: string; subscriptionArn?: string; raw?: boolean },
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: {
        'Content-Type': 'text/plain; charset=UTF-8',
        'User-Agent': 'Amazon Simple Notification Service Agent',
        'x-amz-sns-message-type': headers.messageType,
        'x-amz-sns-message-id': headers.messageId,
        'x-amz-sns-topic-arn': headers.topicArn,
        ...(headers.subscriptionArn ? { 'x-amz-sns-subscription-arn': headers.subscriptionArn } : {}),
        ...(headers.raw ? { 'x-amz-sns-rawdelivery': 'true' } : {}),
      },
    });
    await response.arrayBuffer();
  } catch (err) {
    throw new DeliveryError(`POST ${url} failed: ${(err as Error).message}`);
  }
  if (response.status < 200 || response.status >= 300) throw new DeliveryError(`POST ${url} answered ${response.status}`);
}
