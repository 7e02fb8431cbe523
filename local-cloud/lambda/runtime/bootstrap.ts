/**
 * The entry point of a worker process: a small Node.js runtime in the manner of Lambda's.
 * It loads the function's handler once (the init phase), then runs one invocation at a time for
 * the local cloud, which talks to it over the IPC channel (see messages.ts). It is bundled to
 * plain JavaScript before it runs (build.ts), so the function's code runs on a bare Node, with
 * no TypeScript loader in the way.
 */
import { createRequire, isBuiltin, register } from 'node:module';
import Module from 'node:module';
import { existsSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { dirname, join, posix, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { installSdkChannel } from './sdk-channel.ts';
import { LOG_BATCH_MS, type ErrorDocument, type InitMessage, type InvokeMessage, type LogLine, type ParentMessage, type WorkerMessage } from './messages.ts';

type Handler = (event: unknown, context: LambdaContext, callback: Callback) => unknown;
type Callback = (error?: unknown, result?: unknown) => void;

interface LambdaContext {
  callbackWaitsForEmptyEventLoop: boolean;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  identity?: unknown;
  clientContext?: unknown;
  getRemainingTimeInMillis(): number;
}

/** Errors the runtime itself raises, with Lambda's error types. */
class RuntimeError extends Error {
  constructor(type: string, message: string) {
    super(message);
    this.name = type;
  }
}

/** Log lines waiting for the next message (see messages.ts). */
let lines: LogLine[] = [];
let linesTimer: NodeJS.Timeout | undefined;

const send = (message: WorkerMessage, then?: () => void) => {
  if (lines.length > 0) {
    message.lines = lines;
    lines = [];
  }
  clearTimeout(linesTimer);
  linesTimer = undefined;
  if (!process.connected) return then?.();
  process.send!(message, undefined, {}, () => then?.());
};

function queueLine(line: string, then?: () => void): void {
  lines.push([Date.now(), line]);
  if (then) return send({ type: 'logs' }, then);
  // Unref'd: a waiting line must not keep an otherwise empty event loop alive (callbackWaitsForEmptyEventLoop).
  linesTimer ??= setTimeout(() => send({ type: 'logs' }), LOG_BATCH_MS).unref();
}

/** The request id the log lines carry: "undefined" during init, as in Lambda. */
let requestId: string | undefined;
let handler: Handler | undefined;
let current: { requestId: string; settled: boolean } | undefined;

let scratchDir: string | undefined;

// The local cloud went away: so does this sandbox, and its /tmp (no orphans, even after a SIGKILL of the cloud).
process.on('disconnect', () => {
  try {
    if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
  } finally {
    process.exit(0);
  }
});
process.on('uncaughtException', (err) => fail('Uncaught Exception', errorDocument(err), 129));
process.on('unhandledRejection', (reason) => {
  const message = describe(reason);
  const error: ErrorDocument = {
    errorType: 'Runtime.UnhandledPromiseRejection',
    errorMessage: message,
    trace: [`Runtime.UnhandledPromiseRejection: ${message}`, ...frames(reason)],
  };
  fail('Unhandled Promise Rejection', error, 128);
});
patchConsole();
const flushOutput = captureOutput();

let sdkChannel: ReturnType<typeof installSdkChannel> | undefined;

process.on('message', (message: ParentMessage) => {
  if (message.type === 'init') void init(message);
  else if (message.type === 'invoke') invoke(message);
  else if (message.type === 'sdkResponse') sdkChannel?.answer(message);
});

// ---- init ----

async function init(message: InitMessage): Promise<void> {
  scratchDir = message.scratchDir;
  try {
    const taskRoot = realpathSync(message.taskRoot);
    if (message.fence) installResolution(taskRoot, message);
    if (message.sdkChannelPort) sdkChannel = installSdkChannel({ port: message.sdkChannelPort, send });
    const app = await loadModule(taskRoot, message.handler);
    handler = resolveHandler(app, message.handler);
    send({ type: 'ready' });
  } catch (err) {
    const error = initErrorDocument(err);
    log('ERROR', `Uncaught Exception \t${JSON.stringify(logged(error))}`);
    send({ type: 'initError', error });
  }
}

/** Lambda's handler setting: "path/to/module.export.nested" → module "path/to/module", export path ["export", "nested"]. */
function parseHandler(setting: string): { moduleRoot: string; moduleName: string; path: string[] } {
  const slash = setting.lastIndexOf('/');
  const moduleRoot = setting.slice(0, slash + 1);
  const rest = setting.slice(slash + 1);
  const match = /^([^.]*)\.(.*)$/.exec(rest);
  if (!match || match[2] === '') throw new RuntimeError('Runtime.MalformedHandlerName', 'Bad handler');
  return { moduleRoot, moduleName: match[1], path: match[2].split('.') };
}

async function loadModule(taskRoot: string, setting: string): Promise<unknown> {
  const { moduleRoot, moduleName } = parseHandler(setting);
  const base = resolvePath(taskRoot, moduleRoot, moduleName);
  const require = createRequire(join(taskRoot, 'index.js'));
  try {
    if (isFile(base)) return require(base);
    if (isFile(`${base}.js`)) {
      return isTypeModule(dirname(base), taskRoot) ? await import(pathToFileURL(`${base}.js`).href) : require(`${base}.js`);
    }
    if (isFile(`${base}.mjs`)) return await import(pathToFileURL(`${base}.mjs`).href);
    if (isFile(`${base}.cjs`)) return require(`${base}.cjs`);
  } catch (err) {
    throw classifyLoadError(err);
  }
  throw new RuntimeError(
    'Runtime.ImportModuleError',
    `Error: Cannot find module '${posix.join(moduleRoot, moduleName)}'\nRequire stack:\n- /var/runtime/index.mjs`,
  );
}

function classifyLoadError(err: unknown): unknown {
  if (err instanceof SyntaxError) return withStack(new RuntimeError('Runtime.UserCodeSyntaxError', `SyntaxError: ${err.message}`), err);
  const code = (err as { code?: string } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
    return withStack(new RuntimeError('Runtime.ImportModuleError', `Error: ${(err as Error).message}`), err);
  }
  return err;
}

function resolveHandler(app: unknown, setting: string): Handler {
  const { path } = parseHandler(setting);
  let value: unknown = app;
  for (const key of path) {
    value = value === null || value === undefined ? undefined : (value as Record<string, unknown>)[key];
  }
  if (value === undefined || value === null) {
    throw new RuntimeError('Runtime.HandlerNotFound', `${setting} is undefined or not exported`);
  }
  if (typeof value !== 'function') throw new RuntimeError('Runtime.HandlerNotFound', `${setting} is not a function`);
  return value as Handler;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Whether the nearest package.json (inside the task root) says "type": "module". */
function isTypeModule(dir: string, taskRoot: string): boolean {
  for (let current = dir; current.startsWith(taskRoot); current = dirname(current)) {
    const file = join(current, 'package.json');
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')).type === 'module';
      } catch {
        return false;
      }
    }
    if (current === taskRoot) break;
  }
  return false;
}

/**
 * Module resolution as in Lambda when a node_modules folder above the task root could otherwise
 * lend the function packages it did not ship: bare imports resolve inside its own package, except
 * the AWS SDK v3, which the runtime provides. ESM goes through loader hooks (which cost a loader
 * thread, hence only when needed); CommonJS through the CommonJS resolver.
 */
function installResolution(taskRoot: string, message: InitMessage): void {
  register(message.hooksUrl, {
    data: { taskRootUrl: pathToFileURL(taskRoot + sep).href, sdkBase: message.sdkBase },
  });

  const sdkDir = dirname(fileURLToPath(message.sdkBase));
  type Resolver = (request: string, parent: { filename?: string | null } | undefined, isMain: boolean, options?: unknown) => string;
  const loader = Module as unknown as { _resolveFilename: Resolver };
  const original = loader._resolveFilename;
  loader._resolveFilename = function (request, parent, isMain, options) {
    const fromTask = parent?.filename?.startsWith(taskRoot + sep) ?? false;
    if (!fromTask || isBuiltin(request) || /^(\.{1,2}(\/|$)|\/)/.test(request)) {
      return original.call(this, request, parent, isMain, options);
    }
    let failure: unknown;
    try {
      const found = original.call(this, request, parent, isMain, options);
      if (found.startsWith(taskRoot + sep)) return found;
    } catch (err) {
      failure = err;
    }
    if (request.startsWith('@aws-sdk/') || request.startsWith('@smithy/')) {
      return original.call(this, request, parent, isMain, { paths: [sdkDir] });
    }
    if (failure) throw failure;
    throw Object.assign(new Error(`Cannot find module '${request}'\nRequire stack:\n- ${parent?.filename}`), {
      code: 'MODULE_NOT_FOUND',
    });
  };
}

// ---- invocations ----

function invoke(message: InvokeMessage): void {
  requestId = message.requestId;
  const state = { requestId: message.requestId, settled: false };
  current = state;
  const env = process.env;
  const context: LambdaContext = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? '',
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    awsRequestId: message.requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? '',
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
    clientContext: message.clientContext ? safeParse(message.clientContext) : undefined,
    getRemainingTimeInMillis: () => Math.max(message.deadline - Date.now(), 0),
  };

  const finish = (outcome: Outcome) => {
    if (state.settled) return;
    state.settled = true;
    flushOutput();
    const maxMemoryMb = Math.ceil(process.resourceUsage().maxRSS / 1024);
    if (!outcome.ok) {
      const error = errorDocument(outcome.error);
      log('ERROR', `Invoke Error \t${JSON.stringify(logged(error))}`);
      send({ type: 'result', requestId: state.requestId, error, maxMemoryMb });
      return;
    }
    let payload: string;
    try {
      payload = JSON.stringify(outcome.value) ?? 'null';
    } catch (err) {
      const error: ErrorDocument = {
        errorType: 'Runtime.MarshalError',
        errorMessage: `Unable to stringify response body: ${(err as Error).message}`,
        trace: [],
      };
      send({ type: 'result', requestId: state.requestId, error, maxMemoryMb });
      return;
    }
    send({ type: 'result', requestId: state.requestId, payload, maxMemoryMb });
  };

  // A handler that returns no promise answers through the callback; by default Lambda sends that
  // answer once the event loop is empty (or null, if the loop empties and the callback never came).
  let answer: Outcome | undefined;
  let stopWaiting: (() => void) | undefined;
  const settle = (outcome: Outcome) => {
    stopWaiting?.();
    finish(outcome);
  };
  const callback: Callback = (error, result) => {
    answer ??= error !== undefined && error !== null ? { ok: false, error } : { ok: true, value: result };
    if (!context.callbackWaitsForEmptyEventLoop) settle(answer);
  };

  try {
    if (!handler) throw new RuntimeError('Runtime.HandlerNotFound', 'The handler was not loaded');
    const returned = handler(JSON.parse(message.event), context, callback);
    if (returned !== null && typeof returned === 'object' && typeof (returned as Promise<unknown>).then === 'function') {
      (returned as Promise<unknown>).then(
        (value) => settle({ ok: true, value }),
        (error) => settle({ ok: false, error }),
      );
    } else if (!state.settled) {
      stopWaiting = whenEventLoopEmpty(() => finish(answer ?? { ok: true, value: null }));
    }
  } catch (error) {
    settle({ ok: false, error });
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Calls `then` once nothing is left to run (Lambda's callbackWaitsForEmptyEventLoop). The IPC
 * channel would keep the loop alive forever, so it stops counting until 'beforeExit'. Returns a
 * function that stops waiting.
 */
function whenEventLoopEmpty(then: () => void): () => void {
  const onEmpty = () => {
    process.channel?.ref();
    then();
  };
  process.channel?.unref();
  process.once('beforeExit', onEmpty);
  return () => {
    process.off('beforeExit', onEmpty);
    process.channel?.ref();
  };
}

/** An uncaught error ends the sandbox, as in Lambda; the current invocation gets the error. */
function fail(label: string, error: ErrorDocument, exitCode: number): void {
  const exit = () => process.exit(exitCode);
  flushOutput();
  if (current && !current.settled) {
    current.settled = true;
    log('ERROR', `${label} \t${JSON.stringify(logged(error))}`);
    const maxMemoryMb = Math.ceil(process.resourceUsage().maxRSS / 1024);
    send({ type: 'result', requestId: current.requestId, error, maxMemoryMb }, exit);
    return;
  }
  log('ERROR', `${label} \t${JSON.stringify(logged(error))}`, exit);
}

// ---- errors and logs ----

/** The Node.js runtime's error document: name, message and stack of an Error; typeof and text of anything else. */
function errorDocument(error: unknown): ErrorDocument {
  if (error instanceof Error || (error !== null && typeof error === 'object' && 'message' in error && 'stack' in error)) {
    const e = error as Error;
    return { errorType: e.name ?? 'Error', errorMessage: e.message ?? '', trace: String(e.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function initErrorDocument(error: unknown): ErrorDocument {
  if (error instanceof RuntimeError) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: [...`${error.name}: ${error.message}`.split('\n'), ...frames(error)],
    };
  }
  return errorDocument(error);
}

/** The logged form of an error document calls the trace "stack". */
function logged(error: ErrorDocument): Record<string, unknown> {
  return { errorType: error.errorType, errorMessage: error.errorMessage, stack: error.trace };
}

function withStack(error: RuntimeError, cause: unknown): RuntimeError {
  const causeFrames = frames(cause);
  if (causeFrames.length) error.stack = [`${error.name}: ${error.message}`, ...causeFrames].join('\n');
  return error;
}

function frames(error: unknown): string[] {
  const stack = (error as { stack?: unknown } | null)?.stack;
  return typeof stack === 'string' ? stack.split('\n').filter((line) => line.startsWith('    at ')) : [];
}

function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** console.* as in Lambda's Node.js runtime: "TIMESTAMP\tREQUEST_ID\tLEVEL\tmessage", one log event per call. */
function patchConsole(): void {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG' } as const;
  for (const [method, level] of Object.entries(levels)) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => log(level, format(...args));
  }
  console.trace = (...args: unknown[]) => {
    const stack = (new Error().stack ?? '').split('\n').slice(2).join('\n');
    log('TRACE', `Trace: ${format(...args)}\n${stack}`);
  };
}

/**
 * What the function writes to stdout/stderr itself (a logger with its own Console, say) becomes
 * log events line by line, as in Lambda. The lines go over IPC, in order with the console lines
 * and before the invocation's result. Returns a function that sends an unfinished last line.
 */
function captureOutput(): () => void {
  const pending = { stdout: '', stderr: '' };
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      pending[name] += text;
      let newline: number;
      while ((newline = pending[name].indexOf('\n')) !== -1) {
        queueLine(pending[name].slice(0, newline));
        pending[name] = pending[name].slice(newline + 1);
      }
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof stream.write;
  }
  return () => {
    for (const name of ['stdout', 'stderr'] as const) {
      if (pending[name]) queueLine(pending[name]);
      pending[name] = '';
    }
  };
}

function log(level: string, message: string, then?: () => void): void {
  queueLine(`${new Date().toISOString()}\t${requestId}\t${level}\t${message}`, then);
}
