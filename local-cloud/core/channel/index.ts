import type { ChannelResponse } from './messages.ts';

export { answerOverChannel, type ServeHttp } from './exchange.ts';
export { decodeBody, encodeBody, type ChannelRequest, type ChannelResponse, type SdkAbortMessage, type SdkRequestMessage, type SdkResponseMessage } from './messages.ts';

/**
 * What the Lambda runtime is given to answer its workers' SDK calls: a worker's request message
 * in, the answer out (undefined: the exchange was cut). Aborting the signal is the worker giving up.
 */
export type SdkChannel = (message: Record<string, unknown>, signal: AbortSignal) => Promise<ChannelResponse | undefined>;
