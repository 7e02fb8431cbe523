import { fork, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { RuntimeFiles } from './build.ts';
import { encodeBody, type SdkChannel, type SdkRequestMessage } from '../../core/channel/index.ts';
import type { ErrorDocument, InitMessage, InvokeMessage, ParentMessage, WorkerMessage } from './messages.ts';
import { readWorkerMessage } from './worker-message.ts';

export type InitOutcome =
  | { kind: 'ready' }
  | { kind: 'error'; error: ErrorDocument }
  | { kind: 'timeout' }
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null };

export type RunOutcome =
  | { kind: 'result'; payload?: string; error?: ErrorDocument; maxMemoryMb: number }
  | { kind: 'timeout' }
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null };

export interface WorkerOptions {
  files: RuntimeFiles;
  /** The Node binary to run (node-binary.ts): the runtime's major when one is found. */
  execPath: string;
  taskRoot: string;
  env: NodeJS.ProcessEnv;
  memorySize: number;
  /** Node flags that fence the worker in (permissions.ts). */
  flags: string[];
  /** Every log line the worker produces: console lines over IPC (with when they were written), raw stdout/stderr lines. */
  onLine: (line: string, at?: number) => void;
  /** Called once when the process is gone, whatever the reason. */
  onExit: () => void;
  /** Answers the worker's SDK calls sent over IPC (sdk-channel.ts); absent, the worker uses HTTP. */
  sdkChannel?: SdkChannel;
}

/**
 * SDK calls one worker may have open over its channel: each client already keeps to its agent's
 * sockets (50 by default, sdk-channel.ts), so only a flood of forged messages meets this.
 */
const MAX_OPEN_SDK_CALLS = 10_000;

type Event = WorkerMessage | { type: 'exit' } | { type: 'timeout' };

/** Events kept for the next wait when none was waiting; the runtime itself sends one at a time. */
const MAX_EARLY_EVENTS = 100;

/**
 * One worker process as the local cloud sees it: a child Node process (bootstrap.cjs) reached over
 * IPC. It knows how to start, run one invocation under a deadline, and die; the sandbox above it
 * decides what those outcomes mean for Lambda.
 */
export class WorkerProcess {
  readonly pid: number | undefined;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private waiter: ((event: Event) => void) | undefined;
  /** Events that came while nothing waited (two messages can arrive in one read): the next wait takes them first. */
  private readonly early: Event[] = [];
  private readonly openSdkCalls = new Map<number, AbortController>();

  constructor(private readonly options: WorkerOptions) {
    this.child = fork(options.files.bootstrap, [], {
      cwd: options.taskRoot,
      execPath: options.execPath,
      env: options.env,
      // Never inherit the local cloud's own flags (a TypeScript loader, inspector...): the function runs on a bare
      // Node, with only its memory limit and its sandbox's permissions (permissions.ts).
      execArgv: [`--max-old-space-size=${Math.max(Math.floor(options.memorySize * 0.9), 64)}`, ...options.flags],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // V8's structured clone: an event or a body (JSON text) travels as the string it is, where JSON
      // serialisation would escape every quote in it and parse it back on the other side.
      serialization: 'advanced',
    });
    this.pid = this.child.pid;
    this.child.on('message', (raw: unknown) => {
      const message = readWorkerMessage(raw);
      if (!message) return;
      if (message.lines) for (const [at, line] of message.lines) options.onLine(line, at);
      if (message.type === 'sdkRequest') this.answerSdkCall(message);
      else if (message.type === 'sdkAbort') this.openSdkCalls.get(message.id)?.abort();
      else if (message.type !== 'logs') this.deliver(message);
    });
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exit) return;
        this.exit = { code, signal };
        // Its open calls lose their client, as when a process dies with connections open.
        for (const call of this.openSdkCalls.values()) call.abort();
        this.deliver({ type: 'exit' });
        options.onExit();
        resolve();
      };
      this.child.once('exit', done);
      this.child.once('error', () => done(null, null));
    });
    forwardLines(this.child.stdout, options.onLine);
    forwardLines(this.child.stderr, options.onLine);
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Sends the init message and waits for the handler to be loaded. */
  async init(message: InitMessage, limitMs: number): Promise<InitOutcome> {
    const waiting = this.next(limitMs);
    this.post(message);
    const event = await waiting;
    if (event.type === 'ready') return { kind: 'ready' };
    if (event.type === 'initError') return { kind: 'error', error: event.error };
    if (event.type === 'timeout') {
      await this.kill();
      return { kind: 'timeout' };
    }
    return { kind: 'exit', ...this.exit! };
  }

  /** Runs one invocation; past `limitMs` the process is killed (Lambda's timeout). */
  async run(message: InvokeMessage, limitMs: number): Promise<RunOutcome> {
    const deadline = performance.now() + limitMs;
    let waiting = this.next(limitMs);
    this.post(message);
    for (;;) {
      const event = await waiting;
      if (event.type === 'result' && event.requestId === message.requestId) {
        return { kind: 'result', payload: event.payload, error: event.error, maxMemoryMb: event.maxMemoryMb };
      }
      if (event.type === 'timeout') {
        await this.kill();
        return { kind: 'timeout' };
      }
      if (event.type === 'exit') return { kind: 'exit', ...this.exit! };
      waiting = this.next(Math.max(deadline - performance.now(), 0));
    }
  }

  /** SIGKILL, like the end of a Lambda sandbox; resolves once the process is gone. */
  kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** One SDK call over the channel, answered by the cloud's pipeline; the worker's id comes back with the answer. */
  private answerSdkCall(message: SdkRequestMessage): void {
    const id = message.id;
    const channel = this.options.sdkChannel;
    if (this.openSdkCalls.has(id)) return; // an id already open is not the runtime's own message (readWorkerMessage checked its shape)
    if (!channel || this.openSdkCalls.size >= MAX_OPEN_SDK_CALLS) return this.post({ type: 'sdkResponse', id, reset: true });
    const call = new AbortController();
    this.openSdkCalls.set(id, call);
    channel(message as unknown as Record<string, unknown>, call.signal)
      .catch(() => undefined)
      .then((answer) => {
        this.openSdkCalls.delete(id);
        if (call.signal.aborted) return;
        this.post(answer ? { type: 'sdkResponse', id, status: answer.status, headers: answer.headers, ...encodeBody(answer.body) } : { type: 'sdkResponse', id, reset: true });
      });
  }

  private post(message: ParentMessage): void {
    if (!this.child.connected) return;
    // A failed send means the process died; its exit event tells the waiter.
    this.child.send(message, (err) => void err);
  }

  private deliver(event: Event): void {
    if (this.waiter) return this.waiter(event);
    // Only a worker's own code sends what nobody waits for; a bounded few are kept.
    if (this.early.length < MAX_EARLY_EVENTS) this.early.push(event);
  }

  private next(limitMs: number): Promise<Event> {
    const early = this.early.shift();
    if (early) return Promise.resolve(early);
    return new Promise((resolve) => {
      if (this.exit) return resolve({ type: 'exit' });
      const timer = setTimeout(() => settle({ type: 'timeout' }), limitMs);
      const settle = (event: Event) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(event);
      };
      this.waiter = settle;
    });
  }
}

/** Splits a stream into lines: anything the function writes to stdout/stderr itself becomes log events. */
function forwardLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) !== -1) {
      onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  });
  stream.on('end', () => {
    if (pending) onLine(pending);
    pending = '';
  });
}
