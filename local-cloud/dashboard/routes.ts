import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cloud } from '../cloud.ts';
import { tokenRefusal } from '../control/require-token.ts';
import { EventStreams } from './event-stream.ts';
import { orderTimeline, recentLatencies } from './order-data.ts';
import { DEFAULT_PREFIX, PREFIX_PATTERN, pipelineNames } from './pipeline-names.ts';
import { pipelineState } from './pipeline-state.ts';
import { PAGE_HEADERS, writeError, writeJson } from './responses.ts';
import { pageFile } from './static-files.ts';
import { DynamoDbCallError } from './table-reader.ts';
import { Tickets } from './tickets.ts';

/**
 * /_localcloud/dashboard: the live page. Its files are public (they hold nothing; the browser
 * guard already refused other sites); everything under api/ needs the control token, in a
 * header, except the event stream, which takes a one-time ticket bought with the token (tickets.ts).
 */
export const DASHBOARD_PATH = 'dashboard';

interface DashboardState {
  tickets: Tickets;
  streams: EventStreams;
}
const states = new WeakMap<Cloud, DashboardState>();

function stateOf(cloud: Cloud): DashboardState {
  let state = states.get(cloud);
  if (!state) states.set(cloud, (state = { tickets: new Tickets(), streams: new EventStreams(cloud) }));
  return state;
}

export function isDashboardPath(path: string): boolean {
  return path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`);
}

/** `path` is what follows /_localcloud/. */
export async function handleDashboard(cloud: Cloud, req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
  const rest = path === DASHBOARD_PATH ? '' : path.slice(DASHBOARD_PATH.length + 1);
  const method = req.method ?? 'GET';
  if (!rest.startsWith('api/')) {
    const file = pageFile(rest);
    if (!file) return writeError(res, 404, 'NotFound', `No such page: ${url.pathname.slice(0, 100)}`);
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
    res.writeHead(200, { ...PAGE_HEADERS, 'content-type': file.type, 'content-length': file.body.length });
    res.end(method === 'HEAD' ? undefined : file.body);
    return;
  }
  const api = rest.slice('api/'.length);
  const state = stateOf(cloud);

  if (api === 'events') {
    if (method !== 'GET') return methodNotAllowed(res, 'GET');
    const query = queryOf(url, ['ticket']);
    if (typeof query === 'string') return writeError(res, 400, 'ValidationException', query);
    // A tool may send the token itself; a page sends the ticket it bought with it.
    const withToken = tokenRefusal(req, cloud.controlToken) === undefined;
    const verdict = withToken ? 'ok' : state.tickets.redeem(query.ticket);
    if (verdict !== 'ok') return refuseTicket(cloud, req, res, verdict);
    if (state.streams.full) return writeError(res, 429, 'TooManyRequestsException', 'Too many dashboard event streams are open; close a dashboard tab.');
    state.streams.attach(res);
    return;
  }

  const refused = tokenRefusal(req, cloud.controlToken);
  if (refused) {
    cloud.log({ service: 'control', action: `${method} /_localcloud/${path.slice(0, 60)}`, status: refused.status, error: `${refused.code}: ${refused.message}` });
    const extra: Record<string, string> = refused.status === 401 ? { 'www-authenticate': 'Bearer realm="local-cloud"' } : {};
    return writeError(res, refused.status, refused.code, refused.message, extra);
  }

  if (api === 'ticket') {
    if (method !== 'POST') return methodNotAllowed(res, 'POST');
    return writeJson(res, 201, state.tickets.issue());
  }
  if (method !== 'GET') return methodNotAllowed(res, 'GET');

  if (api === 'pipeline') {
    const query = queryOf(url, ['prefix']);
    if (typeof query === 'string') return writeError(res, 400, 'ValidationException', query);
    return writeJson(res, 200, await pipelineState(cloud, query.prefix ?? DEFAULT_PREFIX));
  }
  if (api === 'latency') {
    const query = queryOf(url, ['prefix', 'minutes']);
    if (typeof query === 'string') return writeError(res, 400, 'ValidationException', query);
    const minutes = query.minutes === undefined ? 15 : Number(query.minutes);
    if (!/^\d{1,4}$/.test(query.minutes ?? '15') || minutes < 1 || minutes > 1440) {
      return writeError(res, 400, 'ValidationException', 'minutes must be a whole number from 1 to 1440.');
    }
    const table = pipelineNames(query.prefix ?? DEFAULT_PREFIX).table;
    return answerFromTable(res, table, () => recentLatencies(cloud, table, minutes));
  }
  const order = /^orders\/([^/]*)$/.exec(api);
  if (order) {
    const query = queryOf(url, ['prefix']);
    if (typeof query === 'string') return writeError(res, 400, 'ValidationException', query);
    const orderId = decodedOrderId(order[1]);
    if (orderId === undefined) {
      return writeError(res, 400, 'ValidationException', 'An order id is 1 to 64 letters, digits and hyphens, as intake answers it (e.g. 3f0c…-…).');
    }
    const table = pipelineNames(query.prefix ?? DEFAULT_PREFIX).table;
    return answerFromTable(res, table, async () => {
      const events = await orderTimeline(cloud, table, orderId);
      if (events.length === 0) return { status: 404, body: { code: 'OrderNotFound', message: `No events for order ${orderId} in ${table}.` } };
      return { orderId, events };
    });
  }
  writeError(res, 404, 'NotFound', `No such dashboard endpoint: ${url.pathname.slice(0, 100)}`);
}

/** The parameters an endpoint takes, each at most once and short; anything else is the client's mistake. */
function queryOf(url: URL, allowed: readonly string[]): Record<string, string | undefined> | string {
  const out: Record<string, string | undefined> = Object.create(null);
  const names = [...new Set(url.searchParams.keys())];
  for (const name of names) {
    if (!allowed.includes(name)) return `Unknown parameter ${JSON.stringify(name.slice(0, 40))}; this endpoint takes ${allowed.join(', ')}.`;
    const values = url.searchParams.getAll(name);
    if (values.length > 1) return `${name} may be given once.`;
    if (values[0].length > 200) return `${name} is too long.`;
    out[name] = values[0];
  }
  if (out.prefix !== undefined && !PREFIX_PATTERN.test(out.prefix)) {
    return 'prefix is the workbook prefix (WORKBOOK_PREFIX): 1–20 lower-case letters, digits and hyphens, starting with a letter.';
  }
  return out;
}

function decodedOrderId(segment: string): string | undefined {
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  return /^[A-Za-z0-9-]{1,64}$/.test(id) ? id : undefined;
}

async function answerFromTable(
  res: ServerResponse,
  table: string,
  read: () => Promise<unknown | { status: number; body: unknown }>,
): Promise<void> {
  try {
    const result = (await read()) as { status?: number; body?: unknown };
    if (typeof result.status === 'number') return writeJson(res, result.status, result.body);
    writeJson(res, 200, result);
  } catch (err) {
    if (err instanceof DynamoDbCallError && err.code === 'ResourceNotFoundException') {
      return writeError(res, 404, 'ResourceNotFoundException', `There is no table ${table} yet: step 6 makes it (npm run step:6).`);
    }
    throw err;
  }
}

function refuseTicket(cloud: Cloud, req: IncomingMessage, res: ServerResponse, verdict: 'missing' | 'unknown' | 'expired'): void {
  const message = {
    missing: 'The event stream needs a ticket (?ticket=…): POST /_localcloud/dashboard/api/ticket with the control token buys one.',
    unknown: 'This ticket is not known: a ticket opens one stream, once. POST /_localcloud/dashboard/api/ticket for another.',
    expired: 'This ticket has expired (tickets last 30 seconds). POST /_localcloud/dashboard/api/ticket for another.',
  }[verdict];
  const status = verdict === 'missing' ? 401 : 403;
  const code = verdict === 'expired' ? 'TicketExpired' : verdict === 'missing' ? 'TicketMissing' : 'TicketInvalid';
  cloud.log({ service: 'control', action: `${req.method ?? '?'} /_localcloud/dashboard/api/events`, status, error: `${code}: ${message}` });
  writeError(res, status, code, message);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  writeError(res, 405, 'MethodNotAllowed', `Use ${allow}.`, { allow });
}
