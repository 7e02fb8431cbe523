import type { IncomingMessage } from 'node:http';
import type { QueryPair } from './canonical-request.ts';

/**
 * AWS requests that need no signature. SNS puts links in its messages (SubscribeURL,
 * UnsubscribeURL) that a person follows in a browser or mail client: ConfirmSubscription is
 * authorised by the token in the link, Unsubscribe by the subscription ARN. (API Gateway's
 * deployed APIs are public too, but they never reach authentication.)
 */
const UNSIGNED_SNS_ACTIONS = new Set(['ConfirmSubscription', 'Unsubscribe']);

/** The signing name the request is for, when it is one AWS answers unsigned. */
export function publicActionService(req: IncomingMessage, query: QueryPair[], body: Buffer): string | undefined {
  return UNSIGNED_SNS_ACTIONS.has(actionOf(req, query, body) ?? '') ? 'sns' : undefined;
}

function actionOf(req: IncomingMessage, query: QueryPair[], body: Buffer): string | undefined {
  const inQuery = query.find(([key]) => key === 'Action');
  if (inQuery) return inQuery[1];
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.startsWith('application/x-www-form-urlencoded') || body.length > 64 * 1024) return undefined;
  return new URLSearchParams(body.toString('utf8')).get('Action') ?? undefined;
}
