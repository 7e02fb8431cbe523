import { randomBytes } from 'node:crypto';
import type { SdkChannel } from '../../core/channel/index.ts';
import type { RoleSession } from '../../sts/sessions.ts';
import type { RuntimeFiles } from './build.ts';
import { workerEnvironment } from './environment.ts';
import type { NodeBinary } from './node-binary.ts';
import { permissionFlags, sandboxGrants } from './permissions.ts';
import { createScratch, removeScratch } from './scratch.ts';
import type { ErrorDocument } from './messages.ts';
import {
  endLine,
  exitText,
  initReportLine,
  initStartLine,
  reportLine,
  startLine,
  timeoutText,
  type ReportFigures,
} from './report.ts';
import { WorkerProcess } from './worker.ts';

/** What a sandbox needs to know of its function; fixed for the sandbox's life (an update makes new ones). */
export interface FunctionSnapshot {
  name: string;
  arn: string;
  runtime: string;
  runtimeVersionArn: string;
  handler: string;
  timeout: number;
  memorySize: number;
  role: string;
  environment?: Record<string, string>;
  logGroup: string;
  taskRoot: string;
}

/** What the local cloud gives the runtime: bundled worker files, credentials, a log sink. */
export interface RuntimeHost {
  readonly region: string;
  /** Whether workers must fence module resolution in to their task root. */
  readonly moduleFence: boolean;
  /** The code store's folder (code.ts): task folders and the links to the runtime-provided SDK. */
  readonly codeRoot: string;
  files(): Promise<RuntimeFiles>;
  /** The Node binary that runs this runtime's workers (node-binary.ts). */
  node(runtime: string): Promise<NodeBinary>;
  endpointUrl(): string;
  /** Answers the workers' SDK calls to the cloud over their IPC channel; absent, they go over HTTP. */
  readonly sdkChannel?: SdkChannel;
  /**
   * Realism: what a cold start costs on AWS beyond the local runtime's own start (placing the
   * sandbox, fetching the code), in ms; 0 or absent adds nothing.
   */
  coldStartMs?(): number;
  issueSession(roleArn: string, sessionName: string): RoleSession;
  revokeSession(accessKeyId: string): void;
  /** Told when an idle sandbox is reclaimed (the live log says so; the benchmark waits for it). */
  reclaimed?(fn: FunctionSnapshot, pid: number | undefined, idleMs: number): void;
  /** Whether the function's execution role lets Lambda write its logs (asked at each invocation). */
  logsPermitted(fn: FunctionSnapshot, stream: string): boolean;
  writeLog(fn: FunctionSnapshot, stream: string, message: string, timestamp: number): void;
}

export interface InvocationRequest {
  requestId: string;
  /** The event as JSON text. */
  event: string;
  clientContext?: string;
}

export interface InvocationResult {
  requestId: string;
  /** The response payload (JSON text), or the error document when functionError is set. */
  payload: string;
  functionError?: 'Unhandled';
  /** The invocation's log lines, START to REPORT (plus the init lines on a cold start). */
  logLines: string[];
  durationMs: number;
  initMs?: number;
  workerPid?: number;
}

/** Lambda's limit on the init phase. */
const INIT_LIMIT_MS = 10_000;
/** Lambda's limit on a synchronous response. */
const MAX_RESPONSE_BYTES = 6_291_556;

/**
 * One execution environment: a worker process with its own log stream and role credentials,
 * started on its first invocation (the cold start) and reused for the next ones. A timeout or a
 * crash ends it; the pool then starts a fresh one.
 */
export class Sandbox {
  readonly logStreamName = logStreamName();
  private worker: WorkerProcess | undefined;
  private session: RoleSession | undefined;
  /** Its /tmp goes once the worker has exited (nothing writes to it any more). */
  private scratchRemoved: Promise<void> | undefined;
  private collecting: string[] | undefined;
  private maxMemoryMb = 0;
  private gone = false;
  /** Lambda writes to CloudWatch Logs with the execution role; re-checked at each invocation. */
  private logsAllowed = false;

  constructor(
    private readonly fn: FunctionSnapshot,
    private readonly host: RuntimeHost,
    private readonly onGone: (sandbox: Sandbox) => void,
  ) {}

  get alive(): boolean {
    return !this.gone;
  }

  get pid(): number | undefined {
    return this.worker?.pid;
  }

  /** True during a cold start's init phase (the CPU-heavy part of a new sandbox). */
  get initializing(): boolean {
    return this.inInit;
  }
  private inInit = false;

  async run(request: InvocationRequest): Promise<InvocationResult> {
    const lines: string[] = [];
    this.collecting = lines;
    this.logsAllowed = this.host.logsPermitted(this.fn, this.logStreamName);
    try {
      let initMs: number | undefined;
      if (!this.worker) {
        const started = performance.now();
        this.inInit = true;
        const extraMs = this.host.coldStartMs?.() ?? 0;
        if (extraMs > 0) {
          await new Promise((resolve) => setTimeout(resolve, extraMs));
          // Ended meanwhile (the cloud is stopping): no worker may start after that.
          if (this.gone) {
            this.inInit = false;
            throw new Error('The local cloud is shutting down.');
          }
        }
        const init = await this.start().finally(() => (this.inInit = false));
        initMs = performance.now() - started;
        if (init.kind !== 'ready') return this.initFailed(request, init, initMs, lines);
      }
      return await this.invoke(request, lines, initMs);
    } finally {
      this.collecting = undefined;
    }
  }

  async kill(): Promise<void> {
    this.markGone();
    await this.worker?.kill();
    await this.scratchRemoved;
  }

  private async start() {
    const [files, node] = await Promise.all([this.host.files(), this.host.node(this.fn.runtime)]);
    this.emit(initStartLine(this.fn.runtime, this.fn.runtimeVersionArn, node.version));
    const session = (this.session = this.host.issueSession(this.fn.role, this.fn.name));
    const scratchDir = createScratch();
    try {
      this.worker = this.spawnWorker(files, node, session, scratchDir);
    } catch (err) {
      this.scratchRemoved = removeScratch(scratchDir);
      throw err;
    }
    return this.worker.init(
      {
        type: 'init',
        handler: this.fn.handler,
        taskRoot: this.fn.taskRoot,
        sdkBase: files.sdkBase,
        hooksUrl: files.hooksUrl,
        fence: this.host.moduleFence,
        scratchDir,
        sdkChannelPort: this.host.sdkChannel ? Number(new URL(this.host.endpointUrl()).port) : undefined,
      },
      INIT_LIMIT_MS + this.fn.timeout * 1000,
    );
  }

  /** A worker fenced in to its task folder and its /tmp, which goes once the worker has exited. */
  private spawnWorker(files: RuntimeFiles, node: NodeBinary, session: RoleSession, scratchDir: string): WorkerProcess {
    return new WorkerProcess({
      files,
      execPath: node.path,
      taskRoot: this.fn.taskRoot,
      memorySize: this.fn.memorySize,
      flags: permissionFlags(
        sandboxGrants({ files, taskRoot: this.fn.taskRoot, codeRoot: this.host.codeRoot, scratchDir, moduleFence: this.host.moduleFence }),
        node.features,
      ),
      env: workerEnvironment({
        functionName: this.fn.name,
        runtime: this.fn.runtime,
        nodeMajor: node.major,
        handler: this.fn.handler,
        memorySize: this.fn.memorySize,
        region: this.host.region,
        logGroupName: this.fn.logGroup,
        logStreamName: this.logStreamName,
        taskRoot: this.fn.taskRoot,
        runtimeDir: files.dir,
        endpointUrl: this.host.endpointUrl(),
        session,
        tmpDir: scratchDir,
        variables: this.fn.environment,
      }),
      onLine: (line, at) => this.emit(line, at),
      sdkChannel: this.host.sdkChannel,
      onExit: () => {
        this.scratchRemoved = removeScratch(scratchDir);
        this.markGone();
      },
    });
  }

  private async invoke(request: InvocationRequest, lines: string[], initMs: number | undefined): Promise<InvocationResult> {
    const worker = this.worker!;
    const { requestId } = request;
    const limitMs = this.fn.timeout * 1000;
    this.emit(startLine(requestId));
    const started = performance.now();
    const outcome = await worker.run(
      {
        type: 'invoke',
        requestId,
        event: request.event,
        deadline: Date.now() + limitMs,
        invokedFunctionArn: this.fn.arn,
        clientContext: request.clientContext,
      },
      limitMs,
    );
    const durationMs = performance.now() - started;

    let payload: string;
    let error: ErrorDocument | undefined;
    let status: Pick<ReportFigures, 'status' | 'errorType'> = {};
    if (outcome.kind === 'result') {
      this.maxMemoryMb = Math.max(this.maxMemoryMb, outcome.maxMemoryMb);
      if (outcome.error) {
        error = outcome.error;
      } else if (Buffer.byteLength(outcome.payload ?? 'null') > MAX_RESPONSE_BYTES) {
        error = {
          errorType: 'Function.ResponseSizeTooLarge',
          errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
          trace: [],
        };
      }
      payload = error ? errorPayload(error) : (outcome.payload ?? 'null');
    } else if (outcome.kind === 'timeout') {
      this.emit(`${new Date().toISOString()} ${requestId} ${timeoutText(this.fn.timeout)}`);
      payload = JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: ${timeoutText(this.fn.timeout)}` });
      error = { errorType: 'Sandbox.Timedout', errorMessage: '', trace: [] };
      status = { status: 'timeout' };
    } else {
      const text = exitText(outcome.code, outcome.signal);
      this.emit(`RequestId: ${requestId} Error: ${text}\nRuntime.ExitError`);
      payload = JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${requestId} Error: ${text}` });
      error = { errorType: 'Runtime.ExitError', errorMessage: '', trace: [] };
      status = { status: 'error', errorType: 'Runtime.ExitError' };
    }
    this.emit(endLine(requestId));
    this.emit(
      reportLine({ requestId, durationMs, memorySize: this.fn.memorySize, maxMemoryUsedMb: this.maxMemoryMb, initMs, ...status }),
    );
    return {
      requestId,
      payload,
      functionError: error ? 'Unhandled' : undefined,
      logLines: lines,
      durationMs,
      initMs,
      workerPid: worker.pid,
    };
  }

  /** The init phase failed: Lambda reports it as the invocation's error, and the sandbox is discarded. */
  private async initFailed(
    request: InvocationRequest,
    init: Exclude<Awaited<ReturnType<Sandbox['start']>>, { kind: 'ready' }>,
    initMs: number,
    lines: string[],
  ): Promise<InvocationResult> {
    const { requestId } = request;
    let payload: string;
    let status: Pick<ReportFigures, 'status' | 'errorType'>;
    if (init.kind === 'error') {
      payload = errorPayload(init.error);
      status = { status: 'error', errorType: init.error.errorType };
      this.emit(initReportLine(initMs, 'error', init.error.errorType));
    } else if (init.kind === 'timeout') {
      payload = JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: ${timeoutText(this.fn.timeout)}` });
      status = { status: 'timeout' };
      this.emit(initReportLine(initMs, 'timeout'));
    } else {
      const text = exitText(init.code, init.signal);
      payload = JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${requestId} Error: ${text}` });
      status = { status: 'error', errorType: 'Runtime.ExitError' };
      this.emit(initReportLine(initMs, 'error', 'Runtime.ExitError'));
    }
    await this.kill();
    this.emit(startLine(requestId));
    this.emit(endLine(requestId));
    this.emit(reportLine({ requestId, durationMs: initMs, memorySize: this.fn.memorySize, maxMemoryUsedMb: this.maxMemoryMb, ...status }));
    return { requestId, payload, functionError: 'Unhandled', logLines: lines, durationMs: initMs, initMs };
  }

  private emit(line: string, at = Date.now()): void {
    if (this.logsAllowed) this.host.writeLog(this.fn, this.logStreamName, `${line}\n`, at);
    this.collecting?.push(line);
  }

  private markGone(): void {
    if (this.gone) return;
    this.gone = true;
    if (this.session) this.host.revokeSession(this.session.accessKeyId);
    this.onGone(this);
  }
}

/** The Node.js runtime's error document, keys in its order. */
function errorPayload(error: ErrorDocument): string {
  return JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace });
}

/** "2025/01/31/[$LATEST]0123456789abcdef0123456789abcdef", one per execution environment. */
function logStreamName(): string {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}
