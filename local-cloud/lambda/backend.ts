import { dict } from '../core/dict.ts';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Cloud } from '../cloud.ts';
import type { EvaluationResult } from '../iam/policy/index.ts';
import { CodeStore } from './code.ts';
import { signedCodeUrl } from '../control/code-url.ts';
import { AsyncInvocations } from './async/queue.ts';
import { checkDeadLetterTarget } from './async/destinations.ts';
import { EventSourceMappings } from './event-source-mappings/mappings.ts';
import { lambdaErrors } from './errors.ts';
import { lastModifiedNow, runtimeVersionArn, toConfiguration, type FunctionRecord } from './model.ts';
import { evaluateServiceInvoke, permissionStatement, policyDocument, type PermissionInput } from './policy.ts';
import { roleNameOf } from '../sts/sessions.ts';
import { AWS_TIMING } from '../realism/aws-timing.ts';
import { buildRuntime, type RuntimeFiles } from './runtime/build.ts';
import { NodeBinaries, type NodeBinary } from './runtime/node-binary.ts';
import { FunctionPool } from './runtime/pool.ts';
import { logTail } from './runtime/report.ts';
import type { FunctionSnapshot, InvocationRequest, InvocationResult, RuntimeHost } from './runtime/sandbox.ts';
import {
  checkArchitectures,
  checkDescription,
  checkEnvironment,
  checkFunctionName,
  checkHandler,
  checkRange,
  checkRoleArn,
  checkRuntime,
  checkTracingMode,
} from './validate.ts';

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

export interface InvokeOptions {
  invocationType?: InvocationType;
  logType?: 'None' | 'Tail';
  qualifier?: string;
  /** Decoded X-Amz-Client-Context (JSON text). */
  clientContext?: string;
  /**
   * A service invoking on its own (apigateway.amazonaws.com, sns.amazonaws.com…): the function's
   * resource policy must allow it, with these aws:SourceArn / aws:SourceAccount.
   */
  principal?: string;
  sourceArn?: string;
  sourceAccount?: string;
  /** Defaults to a fresh UUID; the Invoke API passes its own request id. */
  requestId?: string;
}

export interface InvokeOutput {
  statusCode: 200 | 202 | 204;
  requestId: string;
  payload: Buffer;
  functionError?: 'Unhandled';
  /** Base64 of the last 4 KB of the invocation's log (LogType Tail, RequestResponse only). */
  logResult?: string;
  executedVersion?: string;
  /** Pid of the worker that ran it (for tests and the live log). */
  workerPid?: number;
}

export interface CreateFunctionInput {
  FunctionName?: unknown;
  Runtime?: unknown;
  Role?: unknown;
  Handler?: unknown;
  Code?: { ZipFile?: string; S3Bucket?: string; S3Key?: string; ImageUri?: string };
  Description?: unknown;
  Timeout?: unknown;
  MemorySize?: unknown;
  Environment?: unknown;
  Architectures?: unknown;
  TracingConfig?: unknown;
  EphemeralStorage?: { Size?: unknown };
  DeadLetterConfig?: { TargetArn?: string };
  LoggingConfig?: { LogFormat?: string; LogGroup?: string };
  Tags?: Record<string, string>;
  Publish?: boolean;
  PackageType?: string;
}

const SYNC_PAYLOAD_LIMIT = 6_291_456;
const ASYNC_PAYLOAD_LIMIT = 1_048_576;

/**
 * Lambda: functions ($LATEST only), their code, resource policies, tags, and invocations run by
 * the worker runtime (runtime/). State transitions are real but quick: a function is Pending
 * until its code is unpacked, an update InProgress until the old workers are retired. Reads wait
 * for a transition in flight, so waiters (and scripts that forget them) see the settled state.
 * Under the realism profile a function also stays Pending, and an update InProgress, for AWS's
 * time (reads then answer the state as it is, and invocations and updates meet AWS's
 * ResourceConflictException meanwhile).
 */
export class LambdaBackend {
  private readonly functions = new Map<string, FunctionRecord>();
  private readonly transitions = new Map<string, Promise<void>>();
  /** Realism: per function, the state change waiting out AWS's time (Pending → Active, InProgress → Successful). */
  private readonly awsTimers = new Map<string, NodeJS.Timeout>();
  private readonly pools = new Map<string, FunctionPool>();
  /** Pools an update or a delete retired, still finishing their work. */
  private readonly retiring = new Set<FunctionPool>();
  private readonly code: CodeStore;
  private readonly root: string;
  private readonly ownsRoot: boolean;
  private runtimeFiles: Promise<RuntimeFiles> | undefined;
  /** The Node binary per runtime; the live log says once which one runs each runtime's functions. */
  private readonly nodes = new NodeBinaries();
  private readonly notedRuntimes = new Map<string, Promise<NodeBinary>>();
  /** Functions (and roles) whose missing logs permissions the live log has already reported. */
  private readonly logsDenied = new Set<string>();
  private closing = false;
  /** Event invocations: queued, retried, sent to destinations (async/). */
  readonly asyncInvocations: AsyncInvocations;
  /** SQS event source mappings and their pollers (event-source-mappings/). */
  readonly eventSourceMappings: EventSourceMappings;

  constructor(readonly cloud: Cloud) {
    this.ownsRoot = cloud.store.dir === null;
    // By its real path: a worker resolving its code reads every link on the way, and a link above the data
    // folder (macOS's /tmp, a project reached through a link) is not the worker's to read.
    const dataDir = cloud.store.dir;
    this.root = dataDir ? join(realpathSync(dataDir), 'lambda') : realpathSync(mkdtempSync(join(tmpdir(), 'local-cloud-lambda-')));
    this.code = new CodeStore(this.root);
    this.load();
    const resolve = (ref: string, qualifier?: string) => this.settledFunction(ref, qualifier);
    const functionNamed = (name: string) => this.functions.get(name);
    this.asyncInvocations = new AsyncInvocations(cloud, {
      resolve,
      functionNamed,
      run: async (name, requestId, event) => {
        await this.transitions.get(name);
        const fn = this.functions.get(name);
        if (!fn) throw lambdaErrors.functionNotFound(`${this.functionArn(name)}:$LATEST`);
        if (fn.state !== 'Active') throw lambdaErrors.notActive(fn.state);
        return this.run(fn, { requestId, event }, 'Event');
      },
    });
    this.eventSourceMappings = new EventSourceMappings(cloud, {
      cloud,
      resolve,
      functionNamed,
      arnOf: (ref) => this.arnOf(ref),
      invoke: (name, event) => this.invoke(name, event, { invocationType: 'RequestResponse' }),
    });
    // Work a previous run left (queued events, enabled mappings) starts once the cloud is assembled.
    setImmediate(() => {
      if (this.closing) return;
      this.asyncInvocations.resume();
      this.eventSourceMappings.resume();
    });
  }

  // ---- control plane ----

  async createFunction(input: CreateFunctionInput): Promise<Record<string, unknown>> {
    const name = this.nameForCreate(input.FunctionName);
    const role = checkRoleArn(input.Role);
    const runtime = checkRuntime(input.Runtime);
    const timeout = input.Timeout === undefined ? 3 : checkRange(input.Timeout, 'timeout', 1, 900);
    const memorySize = input.MemorySize === undefined ? 128 : checkRange(input.MemorySize, 'memorySize', 128, 10240);
    const ephemeral =
      input.EphemeralStorage?.Size === undefined ? 512 : checkRange(input.EphemeralStorage.Size, 'ephemeralStorage.size', 512, 10240);
    const architectures = checkArchitectures(input.Architectures);
    const description = checkDescription(input.Description);
    const tracingMode = checkTracingMode(input.TracingConfig) ?? 'PassThrough';
    const environment = checkEnvironment(input.Environment);
    if (input.PackageType !== undefined && input.PackageType !== 'Zip') {
      throw lambdaErrors.invalidParameter('The local cloud runs .zip file packages only (PackageType Zip).');
    }
    const handler = checkHandler(input.Handler);
    if (this.functions.has(name)) throw lambdaErrors.functionExists(name);
    this.checkRoleAssumable(role);
    if (input.DeadLetterConfig?.TargetArn) checkDeadLetterTarget(this.cloud, role, name, input.DeadLetterConfig.TargetArn);
    const zip = this.zipFrom(input.Code);
    const { digest } = await this.code.inspect(zip);
    // Checking the zip took a while: another CreateFunction may have taken the name meanwhile.
    if (this.functions.has(name)) throw lambdaErrors.functionExists(name);

    const fn: FunctionRecord = {
      name,
      arn: this.functionArn(name),
      runtime,
      role,
      handler,
      description,
      timeout,
      memorySize,
      environment,
      architectures,
      ephemeralStorageSize: ephemeral,
      tracingMode,
      logFormat: input.LoggingConfig?.LogFormat === 'JSON' ? 'JSON' : 'Text',
      logGroup: input.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`,
      deadLetterTargetArn: input.DeadLetterConfig?.TargetArn,
      codeSha256: digest.sha256,
      codeSize: digest.size,
      codeHash: digest.hash,
      lastModified: lastModifiedNow(),
      revisionId: randomUUID(),
      state: 'Pending',
      stateReason: 'The function is being created.',
      stateReasonCode: 'Creating',
      tags: { ...(input.Tags ?? {}) },
      policy: [],
    };
    this.code.save(name, digest.hash, zip);
    this.functions.set(name, fn);
    this.register(fn);
    this.persist(fn);
    const response = toConfiguration(fn, this.cloud.region);
    // Realism: Pending for AWS's time as well as until the code is unpacked.
    const activeAt = Date.now() + this.cloud.realism.ms(AWS_TIMING.functionPending);
    this.transition(fn, this.code.unpack(name, digest.hash).then(() => this.when(fn, activeAt, () => this.activate(fn))));
    return response;
  }

  async getFunction(ref: string, qualifier?: string): Promise<Record<string, unknown>> {
    const fn = await this.settledFunction(ref, qualifier);
    return {
      Configuration: toConfiguration(fn, this.cloud.region),
      Code: { RepositoryType: 'S3', Location: this.codeLocation(fn) },
      ...(Object.keys(fn.tags).length ? { Tags: { ...fn.tags } } : {}),
    };
  }

  async getFunctionConfiguration(ref: string, qualifier?: string): Promise<Record<string, unknown>> {
    return toConfiguration(await this.settledFunction(ref, qualifier), this.cloud.region);
  }

  listFunctions(marker: string | undefined, maxItems: number | undefined): Record<string, unknown> {
    const all = [...this.functions.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const limit = maxItems === undefined ? 50 : checkRange(maxItems, 'maxItems', 1, 10000);
    const start = marker ? all.findIndex((fn) => fn.name > decodeMarker(marker)) : 0;
    const page = start === -1 ? [] : all.slice(start, start + limit);
    const more = start !== -1 && start + limit < all.length;
    return {
      Functions: page.map((fn) => toConfiguration(fn, this.cloud.region, false)),
      ...(more ? { NextMarker: encodeMarker(page[page.length - 1].name) } : {}),
    };
  }

  async updateFunctionCode(
    ref: string,
    input: { ZipFile?: string; S3Bucket?: string; S3Key?: string; ImageUri?: string; DryRun?: boolean; RevisionId?: string },
  ): Promise<Record<string, unknown>> {
    const fn = await this.settledFunction(ref);
    this.checkUpdatable(fn);
    this.checkRevision(fn, input.RevisionId);
    const zip = this.zipFrom(input);
    const { digest } = await this.code.inspect(zip);
    this.checkUpdatable(fn); // another update may have begun while the zip was checked
    if (input.DryRun) return toConfiguration(fn, this.cloud.region);
    this.code.save(fn.name, digest.hash, zip);
    Object.assign(fn, { codeSha256: digest.sha256, codeSize: digest.size, codeHash: digest.hash });
    this.beginUpdate(fn);
    const response = toConfiguration(fn, this.cloud.region);
    const { retireNow, doneAt } = this.updateTiming();
    const retired = retireNow ? this.retirePool(fn.name) : undefined;
    this.transition(
      fn,
      this.code.unpack(fn.name, digest.hash).then(() =>
        this.when(fn, doneAt, () => {
          this.finishUpdate(fn);
          void (retired ?? this.retirePool(fn.name)).then(() => this.pruneCode(fn.name));
        }),
      ),
    );
    return response;
  }

  async updateFunctionConfiguration(ref: string, input: Record<string, any>): Promise<Record<string, unknown>> {
    const fn = await this.settledFunction(ref);
    this.checkUpdatable(fn);
    this.checkRevision(fn, input.RevisionId);
    const changes: Partial<FunctionRecord> = {};
    if (input.Role !== undefined) {
      changes.role = checkRoleArn(input.Role);
      if (changes.role !== fn.role) this.checkRoleAssumable(changes.role);
    }
    if (input.Runtime !== undefined) changes.runtime = checkRuntime(input.Runtime);
    if (input.Handler !== undefined) changes.handler = checkHandler(input.Handler);
    if (input.Description !== undefined) changes.description = checkDescription(input.Description);
    if (input.Timeout !== undefined) changes.timeout = checkRange(input.Timeout, 'timeout', 1, 900);
    if (input.MemorySize !== undefined) changes.memorySize = checkRange(input.MemorySize, 'memorySize', 128, 10240);
    if (input.Environment !== undefined) changes.environment = checkEnvironment(input.Environment) ?? {};
    if (input.TracingConfig !== undefined) changes.tracingMode = checkTracingMode(input.TracingConfig) ?? fn.tracingMode;
    if (input.EphemeralStorage?.Size !== undefined) {
      changes.ephemeralStorageSize = checkRange(input.EphemeralStorage.Size, 'ephemeralStorage.size', 512, 10240);
    }
    if (input.DeadLetterConfig !== undefined) changes.deadLetterTargetArn = input.DeadLetterConfig?.TargetArn || undefined;
    const deadLetterTarget =
      input.DeadLetterConfig !== undefined ? changes.deadLetterTargetArn : changes.role ? fn.deadLetterTargetArn : undefined;
    if (deadLetterTarget) checkDeadLetterTarget(this.cloud, changes.role ?? fn.role, fn.name, deadLetterTarget);
    if (input.LoggingConfig?.LogGroup !== undefined) changes.logGroup = String(input.LoggingConfig.LogGroup);
    if (input.LoggingConfig?.LogFormat !== undefined) changes.logFormat = input.LoggingConfig.LogFormat === 'JSON' ? 'JSON' : 'Text';
    Object.assign(fn, changes);
    this.beginUpdate(fn);
    const response = toConfiguration(fn, this.cloud.region);
    // The old workers finish what they run and end; the next invocation starts with the new configuration.
    const { retireNow, doneAt } = this.updateTiming();
    if (retireNow) void this.retirePool(fn.name);
    this.transition(
      fn,
      new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
        this.when(fn, doneAt, () => {
          this.finishUpdate(fn);
          if (!retireNow) void this.retirePool(fn.name);
        }),
      ),
    );
    return response;
  }

  async deleteFunction(ref: string, qualifier?: string): Promise<void> {
    const { name, qualifier: inRef } = this.parseRef(ref);
    const q = qualifier ?? inRef;
    if (q === '$LATEST') throw lambdaErrors.invalidParameter('$LATEST version cannot be deleted without deleting the function.');
    const fn = await this.settledFunction(ref, qualifier);
    this.functions.delete(name);
    this.clearAwsTimer(name);
    this.cloud.store.remove(docName(fn.name));
    this.asyncInvocations.forgetFunction(name);
    // Invocations in flight finish; then the code goes (unless a new function took the name meanwhile).
    void this.retirePool(name).then(() => this.pruneCode(name));
  }

  async addPermission(ref: string, input: PermissionInput & { Qualifier?: string; RevisionId?: string }): Promise<string> {
    const fn = await this.settledFunction(ref, input.Qualifier);
    this.checkRevision(fn, input.RevisionId);
    const resource = input.Qualifier ? `${fn.arn}:${input.Qualifier}` : fn.arn;
    const statement = permissionStatement(input, resource);
    if (fn.policy.some((s) => s.Sid === input.StatementId)) throw lambdaErrors.statementExists(input.StatementId);
    fn.policy.push(statement);
    fn.revisionId = randomUUID();
    this.persist(fn);
    return JSON.stringify(statement);
  }

  async removePermission(ref: string, statementId: string, revisionId?: string): Promise<void> {
    const fn = await this.settledFunction(ref);
    this.checkRevision(fn, revisionId);
    if (fn.policy.length === 0) throw lambdaErrors.noPolicy();
    const index = fn.policy.findIndex((s) => s.Sid === statementId);
    if (index === -1) throw lambdaErrors.statementNotFound(statementId);
    fn.policy.splice(index, 1);
    fn.revisionId = randomUUID();
    this.persist(fn);
  }

  async getPolicy(ref: string, qualifier?: string): Promise<{ Policy: string; RevisionId: string }> {
    const fn = await this.settledFunction(ref, qualifier);
    if (fn.policy.length === 0) throw lambdaErrors.resourceNotFound();
    return { Policy: policyDocument(fn.policy), RevisionId: fn.revisionId };
  }

  tagResource(arn: string, tags: Record<string, string>): void {
    const fn = this.byArn(arn);
    fn.tags = dict({ ...fn.tags, ...tags });
    this.persist(fn);
  }

  untagResource(arn: string, keys: string[]): void {
    const fn = this.byArn(arn);
    for (const key of keys) delete fn.tags[key];
    this.persist(fn);
  }

  listTags(arn: string): Record<string, string> {
    return { ...this.byArn(arn).tags };
  }

  /** The ARN a reference (name, partial or full ARN) names, for authorization before the function is looked up. */
  arnOf(ref: string): string {
    return this.functionArn(this.parseRef(ref).name);
  }

  /** The uploaded zip, for Code.Location. */
  codeZip(name: string, hash: string): Buffer | undefined {
    const fn = this.functions.get(name);
    return fn && fn.codeHash === hash ? this.code.zip(name, hash) : undefined;
  }

  // ---- invocation: the API's Invoke and the hook other services use ----

  /**
   * Invokes a function. RequestResponse waits for the result; Event queues it and answers 202;
   * DryRun only checks (204). With `principal` (a service such as apigateway.amazonaws.com),
   * the function's resource policy must allow the call: otherwise AccessDeniedException.
   * A missing function is ResourceNotFoundException ("Function not found: ARN:$LATEST").
   */
  async invoke(ref: string, payload: unknown, options: InvokeOptions = {}): Promise<InvokeOutput> {
    const requestId = options.requestId ?? randomUUID();
    const { name, qualifier: inRef } = this.parseRef(ref);
    const qualifier = options.qualifier ?? inRef ?? '$LATEST';
    // A function being created or updated answers once it is ready (no ResourceConflict races).
    await this.transitions.get(name);
    const fn = this.functions.get(name);
    if (!fn || qualifier !== '$LATEST') throw lambdaErrors.functionNotFound(`${this.functionArn(name)}:${qualifier}`);
    if (fn.state !== 'Active') throw lambdaErrors.notActive(fn.state);

    if (options.principal) {
      const decision = this.evaluateInvoke(name, options.principal, options.sourceArn, options.sourceAccount);
      if (decision.decision !== 'Allow') throw lambdaErrors.accessDenied(options.principal, fn.arn);
    }

    const event = eventText(payload);
    const type = options.invocationType ?? 'RequestResponse';
    if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
      throw lambdaErrors.validation(type, 'invocationType', 'Member must satisfy enum value set: [Event, RequestResponse, DryRun]');
    }
    const limit = type === 'Event' ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
    if (Buffer.byteLength(event) > limit) throw lambdaErrors.requestTooLarge(limit);
    if (type === 'DryRun') return { statusCode: 204, requestId, payload: Buffer.alloc(0) };

    if (type === 'Event') {
      // Queued, retried on error, then sent to the function's destinations or dead-letter queue.
      this.asyncInvocations.enqueue(fn, requestId, event);
      return { statusCode: 202, requestId, payload: Buffer.alloc(0) };
    }
    const result = await this.run(fn, { requestId, event, clientContext: options.clientContext }, 'RequestResponse');
    return {
      statusCode: 200,
      requestId,
      payload: Buffer.from(result.payload),
      functionError: result.functionError,
      logResult: options.logType === 'Tail' ? logTail(result.logLines) : undefined,
      executedVersion: '$LATEST',
      workerPid: result.workerPid,
    };
  }

  /**
   * Evaluates the function's resource policy for a service principal (and the request's SourceArn
   * and SourceAccount) with IAM's evaluator: the check API Gateway, SNS and event sources face.
   */
  evaluateInvoke(ref: string, principal: string, sourceArn?: string, sourceAccount?: string): EvaluationResult {
    const fn = this.functionByRef(ref);
    return evaluateServiceInvoke(fn, { service: principal, functionArn: fn.arn, sourceArn, sourceAccount });
  }

  /** Worker pids of a function (tests use this to prove reuse and cleanup). */
  workerPids(name: string): number[] {
    return this.pools.get(name)?.pids ?? [];
  }

  async close(): Promise<void> {
    this.closing = true;
    // Long polls end and no retry starts; what was accepted stays on disk for the next start.
    const pollers = this.eventSourceMappings.close();
    this.asyncInvocations.close();
    for (const name of [...this.awsTimers.keys()]) this.clearAwsTimer(name);
    await Promise.all([...this.pools.values(), ...this.retiring].map((pool) => pool.close()));
    this.pools.clear();
    await Promise.allSettled([pollers, this.asyncInvocations.drained()]);
    if (this.ownsRoot) rmSync(this.root, { recursive: true, force: true });
  }

  // ---- internals ----

  /** Runs one invocation; the live log (and the dashboard) sees each, with its duration and outcome. */
  private async run(fn: FunctionRecord, request: InvocationRequest, type: 'Event' | 'RequestResponse'): Promise<InvocationResult> {
    const result = await this.pool(fn).invoke(request);
    this.cloud.log({
      service: 'lambda',
      action: 'Invocation',
      ms: Math.round(result.durationMs * 100) / 100,
      detail: `${fn.name} (${type}, request ${request.requestId})`,
      error: result.functionError ? `${result.functionError}: ${errorTypeOf(result.payload)}` : undefined,
    });
    return result;
  }

  private pool(fn: FunctionRecord): FunctionPool {
    let pool = this.pools.get(fn.name);
    if (!pool) {
      if (this.closing) throw new Error('The local cloud is shutting down.');
      pool = new FunctionPool(
        {
          name: fn.name,
          arn: fn.arn,
          runtime: fn.runtime,
          runtimeVersionArn: runtimeVersionArn(fn.runtime, this.cloud.region),
          handler: fn.handler,
          timeout: fn.timeout,
          memorySize: fn.memorySize,
          role: fn.role,
          environment: fn.environment ? { ...fn.environment } : undefined,
          logGroup: fn.logGroup,
          taskRoot: this.code.taskRoot(fn.name, fn.codeHash),
        },
        this.runtimeHost(),
        this.cloud.sandboxes,
      );
      this.pools.set(fn.name, pool);
    }
    return pool;
  }

  private retirePool(name: string): Promise<void> {
    const pool = this.pools.get(name);
    if (!pool) return Promise.resolve();
    this.pools.delete(name);
    this.retiring.add(pool);
    return pool.retire().finally(() => this.retiring.delete(pool));
  }

  /** Deletes the code versions no function or draining pool uses any more. */
  private pruneCode(name: string): void {
    if (this.closing) return;
    const inUse = [...this.retiring, ...this.pools.values()]
      .filter((pool) => pool.fn.name === name)
      .map((pool) => basename(pool.fn.taskRoot));
    const current = this.functions.get(name);
    if (current) inUse.push(current.codeHash);
    if (inUse.length) this.code.prune(name, inUse);
    else this.code.remove(name);
  }

  private runtimeHost(): RuntimeHost {
    const cloud = this.cloud;
    return {
      region: cloud.region,
      moduleFence: this.code.needsModuleFence,
      codeRoot: this.code.root,
      files: () => (this.runtimeFiles ??= buildRuntime(join(this.root, 'runtime'))),
      node: (runtime) => this.nodeFor(runtime),
      endpointUrl: () => cloud.baseUrl,
      sdkChannel: cloud.sdkChannel,
      coldStartMs: () => cloud.realism.ms(AWS_TIMING.coldStart),
      issueSession: (roleArn, sessionName) => cloud.sessions.issue(roleArn, sessionName),
      revokeSession: (accessKeyId) => cloud.sessions.revoke(accessKeyId),
      logsPermitted: (fn, stream) => this.logsPermitted(fn, stream),
      reclaimed: (fn, pid, idleMs) =>
        cloud.log({ service: 'lambda', action: 'Reclaim', detail: `${fn.name}: an idle sandbox (worker ${pid}) ended after ${Math.round(idleMs / 1000)} s idle` }),
      writeLog: (fn, stream, message, timestamp) => cloud.logs.appendLambda(fn.logGroup, stream, [{ timestamp, message }]),
    };
  }

  /**
   * Lambda writes a function's logs with its execution role: without logs:CreateLogGroup (for a
   * missing group), logs:CreateLogStream and logs:PutLogEvents the lines go nowhere, silently, as
   * on AWS (LogType Tail still shows them). Asked at each invocation, so a grant added later takes
   * effect on the next one; the live log says once why a function's logs are missing.
   */
  private logsPermitted(fn: FunctionSnapshot, stream: string): boolean {
    const logs = this.cloud.logs;
    const groupArn = logs.groupArn(fn.logGroup);
    const streamArn = `${groupArn}:log-stream:${stream}`;
    const needed: Array<[string, string]> = [
      ['logs:CreateLogStream', streamArn],
      ['logs:PutLogEvents', streamArn],
    ];
    if (!logs.hasGroup(fn.logGroup)) needed.unshift(['logs:CreateLogGroup', groupArn]);
    const principal = {
      type: 'AWS' as const,
      arn: `arn:aws:sts::${this.cloud.accountId}:assumed-role/${roleNameOf(fn.role)}/${fn.name}`,
      account: this.cloud.accountId,
      roleArn: fn.role,
    };
    const missing = needed.find(
      ([action, resource]) => this.cloud.iam.evaluateRole(fn.role, { action, resource, principal }).decision !== 'Allow',
    );
    const key = `${fn.name}\n${fn.role}`;
    if (!missing) {
      this.logsDenied.delete(key);
      return true;
    }
    if (!this.logsDenied.has(key)) {
      this.logsDenied.add(key);
      this.cloud.log({
        service: 'lambda',
        action: 'Logs',
        detail: `${fn.logGroup}: nothing is written to CloudWatch Logs`,
        error:
          `the execution role ${fn.role} is not allowed ${missing[0]} (attach AWSLambdaBasicExecutionRole, ` +
          'or grant logs:CreateLogGroup, logs:CreateLogStream and logs:PutLogEvents)',
      });
    }
    return false;
  }

  /** The Node that runs a runtime's workers; the first time, the live log says which, or why not the runtime's own. */
  private nodeFor(runtime: string): Promise<NodeBinary> {
    let noted = this.notedRuntimes.get(runtime);
    if (!noted) {
      noted = this.nodes.forRuntime(runtime).then((node) => {
        this.cloud.log({
          service: 'lambda',
          action: 'Runtime',
          detail: `${runtime} functions run on Node ${node.version} (${node.source})${node.fallback ? `, not on Node ${runtime.replace(/^nodejs(\d+)\.x$/, '$1')}` : ''}`,
          error: node.fallback,
        });
        return node;
      });
      this.notedRuntimes.set(runtime, noted);
    }
    return noted;
  }

  private checkRoleAssumable(role: string): void {
    // Fault switch (POST /_localcloud/faults): a role IAM has not propagated yet, as on AWS just after CreateRole.
    if (this.cloud.faults.takeRoleNotAssumable()) throw lambdaErrors.roleCannotBeAssumed();
    if (!this.cloud.iam.roleTrusts(role, 'lambda.amazonaws.com')) throw lambdaErrors.roleCannotBeAssumed();
  }

  private zipFrom(code: { ZipFile?: string; S3Bucket?: string; S3Key?: string; ImageUri?: string } | undefined): Buffer {
    if (code?.S3Bucket || code?.S3Key || code?.ImageUri) {
      throw lambdaErrors.invalidParameter('The local cloud takes function code as a ZipFile only (no S3 location or image).');
    }
    if (!code?.ZipFile) throw lambdaErrors.noCode();
    return Buffer.from(code.ZipFile, 'base64');
  }

  private beginUpdate(fn: FunctionRecord): void {
    fn.lastModified = lastModifiedNow();
    fn.revisionId = randomUUID();
    // AWS words an update's reason this way too.
    fn.lastUpdateStatus = 'InProgress';
    fn.lastUpdateStatusReason = 'The function is being created.';
    fn.lastUpdateStatusReasonCode = 'Creating';
    this.persist(fn);
  }

  private finishUpdate(fn: FunctionRecord): void {
    fn.lastUpdateStatus = 'Successful';
    fn.lastUpdateStatusReason = undefined;
    fn.lastUpdateStatusReasonCode = undefined;
    this.persist(fn);
  }

  private activate(fn: FunctionRecord): void {
    fn.state = 'Active';
    fn.stateReason = undefined;
    fn.stateReasonCode = undefined;
    fn.lastUpdateStatus = 'Successful';
    this.persist(fn);
    this.cloud.log({ service: 'lambda', action: 'CreateFunction', detail: `${fn.name} is Active` });
  }

  /**
   * Realism: AWS refuses an update while the function is Pending or another update is
   * InProgress. With realism off a transition is over before any call gets here.
   */
  private checkUpdatable(fn: FunctionRecord): void {
    if (!this.cloud.realism.enabled) return;
    if (fn.state === 'Pending') throw lambdaErrors.notActive(fn.state);
    if (fn.lastUpdateStatus === 'InProgress') throw lambdaErrors.updateInProgress(fn.arn);
  }

  /**
   * How an update ends: with realism off the old workers retire at once and the update is
   * Successful as soon as its work is done; under the realism profile it stays InProgress for
   * AWS's time, and the old workers serve invocations until then (as on AWS).
   */
  private updateTiming(): { retireNow: boolean; doneAt: number } {
    const ms = this.cloud.realism.ms(AWS_TIMING.functionUpdate);
    return { retireNow: ms === 0, doneAt: Date.now() + ms };
  }

  /** Runs `change` at `at` (epoch ms; now when it has passed), if the function is still the same one. */
  private when(fn: FunctionRecord, at: number, change: () => void): void {
    this.clearAwsTimer(fn.name);
    const ms = at - Date.now();
    if (ms <= 0) return change();
    const timer = setTimeout(() => {
      if (this.awsTimers.get(fn.name) === timer) this.awsTimers.delete(fn.name);
      if (!this.closing && this.functions.get(fn.name) === fn) change();
    }, ms);
    this.awsTimers.set(fn.name, timer);
  }

  private clearAwsTimer(name: string): void {
    clearTimeout(this.awsTimers.get(name));
    this.awsTimers.delete(name);
  }

  private transition(fn: FunctionRecord, work: Promise<void>): void {
    const done = work.catch((err: Error) => {
      fn.state = 'Failed';
      fn.stateReason = `The function's code could not be unpacked: ${err.message}`;
      fn.stateReasonCode = 'InvalidZipFileException';
      fn.lastUpdateStatus = 'Failed';
      this.persist(fn);
    });
    this.transitions.set(fn.name, done);
    void done.finally(() => {
      if (this.transitions.get(fn.name) === done) this.transitions.delete(fn.name);
    });
  }

  private async settledFunction(ref: string, qualifier?: string): Promise<FunctionRecord> {
    const fn = this.functionByRef(ref, qualifier);
    await this.transitions.get(fn.name);
    return fn;
  }

  private functionByRef(ref: string, qualifier?: string): FunctionRecord {
    const { name, qualifier: inRef } = this.parseRef(ref);
    const q = qualifier ?? inRef;
    const fn = this.functions.get(name);
    if (!fn || (q !== undefined && q !== '$LATEST')) {
      throw lambdaErrors.functionNotFound(q && q !== '$LATEST' ? `${this.functionArn(name)}:${q}` : this.functionArn(name));
    }
    return fn;
  }

  private byArn(arn: string): FunctionRecord {
    const match = /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9-_]+)$/.exec(arn);
    if (!match) {
      throw lambdaErrors.validation(
        arn,
        'resource',
        'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})',
      );
    }
    const fn = this.functions.get(match[3]);
    if (!fn || match[1] !== this.cloud.region || match[2] !== this.cloud.accountId) throw lambdaErrors.functionNotFound(arn);
    return fn;
  }

  /** name | name:qualifier | ACCOUNT:function:name[:qualifier] | arn:aws:lambda:REGION:ACCOUNT:function:name[:qualifier] */
  private parseRef(ref: string): { name: string; qualifier?: string } {
    checkFunctionName(ref);
    const match = /^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9-_]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/.exec(ref);
    if (!match) throw lambdaErrors.functionNotFound(this.functionArn(ref));
    return { name: match[1], qualifier: match[2] };
  }

  private nameForCreate(value: unknown): string {
    const ref = checkFunctionName(value);
    const { name, qualifier } = this.parseRef(ref);
    if (qualifier) throw lambdaErrors.invalidParameter('Unqualified function name or ARN expected.');
    if (name.length > 64) throw lambdaErrors.validation(name, 'functionName', 'Member must have length less than or equal to 64');
    return name;
  }

  private checkRevision(fn: FunctionRecord, revisionId: unknown): void {
    if (revisionId !== undefined && revisionId !== null && revisionId !== fn.revisionId) throw lambdaErrors.preconditionFailed();
  }

  private functionArn(name: string): string {
    return `arn:aws:lambda:${this.cloud.region}:${this.cloud.accountId}:function:${name}`;
  }

  /** Like the presigned S3 URL AWS gives: it works for ten minutes, for this code only. */
  private codeLocation(fn: FunctionRecord): string {
    return signedCodeUrl(this.cloud.baseUrl, fn.name, fn.codeHash);
  }

  private register(fn: FunctionRecord): void {
    this.cloud.store.register(docName(fn.name), () => fn);
  }

  private persist(fn: FunctionRecord): void {
    if (this.functions.get(fn.name) === fn) this.cloud.store.markDirty(docName(fn.name));
  }

  private load(): void {
    for (const doc of this.cloud.store.list('lambda/functions')) {
      const fn = this.cloud.store.load<FunctionRecord>(doc);
      if (!fn) continue;
      this.functions.set(fn.name, fn);
      this.register(fn);
      // Unpack again if the task folder is missing, and finish a transition a stop interrupted.
      const pending = fn.state === 'Pending' || fn.lastUpdateStatus === 'InProgress';
      this.transition(
        fn,
        this.code.unpack(fn.name, fn.codeHash).then(() => {
          if (fn.state === 'Pending') this.activate(fn);
          else if (pending) this.finishUpdate(fn);
        }),
      );
    }
  }
}

function docName(name: string): string {
  return `lambda/functions/${name}`;
}

/**
 * The event as JSON text; Lambda refuses a payload that is not JSON. An empty payload is {}. Only
 * a caller's text needs parsing to be sure: what the cloud builds itself (an SQS batch, an SNS
 * notification, an API Gateway request) is JSON by construction.
 */
function eventText(payload: unknown): string {
  if (payload !== undefined && !Buffer.isBuffer(payload) && typeof payload !== 'string') return JSON.stringify(payload) ?? '{}';
  const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : (payload ?? '');
  if (text.trim() === '') return '{}';
  try {
    JSON.parse(text);
  } catch (err) {
    throw lambdaErrors.invalidRequestContent(`Could not parse payload into json: ${(err as Error).message}`);
  }
  return text;
}

function encodeMarker(name: string): string {
  return Buffer.from(name).toString('base64url');
}

function decodeMarker(marker: string): string {
  return Buffer.from(marker, 'base64url').toString('utf8');
}

/** The errorType of a function's error document, for one line of the live log. */
function errorTypeOf(payload: string): string {
  try {
    const type = (JSON.parse(payload) as { errorType?: unknown }).errorType;
    return typeof type === 'string' ? type.slice(0, 100) : 'Error';
  } catch {
    return 'Error';
  }
}
