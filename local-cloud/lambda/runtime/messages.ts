/**
 * The IPC conversation between the local cloud (parent) and a worker process (bootstrap.ts).
 * The parent sends `init` once, then one `invoke` at a time; the worker answers `ready` or
 * `initError`, and ends each invocation with `result`. Log lines ride along with the next of
 * those messages (a short invocation's lines cost no message of their own); a long invocation's
 * lines go ahead in `logs` messages every LOG_BATCH_MS, so the log still reads as it happens.
 */

import type { SdkAbortMessage, SdkRequestMessage, SdkResponseMessage } from '../../core/channel/messages.ts';

/** How long a log line may wait for a message to ride with. */
export const LOG_BATCH_MS = 50;

/** A log line (no trailing newline) and when it was written (epoch ms). */
export type LogLine = [at: number, line: string];

export interface InitMessage {
  type: 'init';
  /** The function's Handler setting, e.g. "index.handler" or "src/app.handlers.main". */
  handler: string;
  /** Absolute path of the unpacked code (LAMBDA_TASK_ROOT). */
  taskRoot: string;
  /** A file URL inside the local cloud's install, from which the runtime-provided SDK resolves. */
  sdkBase: string;
  /** File URL of the ESM resolve hooks module. */
  hooksUrl: string;
  /** Whether module resolution must be fenced in to the task root (see CodeStore.needsModuleFence). */
  fence: boolean;
  /** The sandbox's /tmp, which the worker removes if the local cloud dies first. */
  scratchDir: string;
  /** The local cloud's port, when the SDK's calls to it go over this channel (sdk-channel.ts); absent: over HTTP. */
  sdkChannelPort?: number;
}

export interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  /** The event as JSON text. */
  event: string;
  /** Epoch ms when the invocation times out (getRemainingTimeInMillis counts down to it). */
  deadline: number;
  invokedFunctionArn: string;
  /** Decoded X-Amz-Client-Context, when the caller sent one. */
  clientContext?: string;
}

export type ParentMessage = InitMessage | InvokeMessage | SdkResponseMessage;

/** AWS's Node.js runtime error document. */
export interface ErrorDocument {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export type WorkerMessage = (
  | { type: 'ready' }
  | { type: 'initError'; error: ErrorDocument }
  | { type: 'logs' }
  | { type: 'result'; requestId: string; payload?: string; error?: ErrorDocument; maxMemoryMb: number }
  | SdkRequestMessage
  | SdkAbortMessage
) & {
  /** Log lines written since the last message, oldest first; they come before what the message says. */
  lines?: LogLine[];
};
