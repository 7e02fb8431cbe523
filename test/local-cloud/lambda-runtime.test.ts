import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
  type InvokeCommandOutput,
} from '@aws-sdk/client-lambda';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { signedFetch } from '../support/signed-fetch.ts';
import type { CloudEvent } from '../../local-cloud/cloud.ts';
import { createLambdaRole, deployFunction, fixture, payloadOf, processExists } from '../fixtures/lambda/helpers.ts';

/**
 * The Lambda runtime: uploaded code really runs, in reusable worker processes, with Lambda's
 * environment, context, error shapes, timeouts and logs.
 */
let cloud: TestCloud;
let lambda: LambdaClient;
let role: string;
const events: CloudEvent[] = [];
const ACCOUNT = '000000000000';
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const invoke = (FunctionName: string, payload: unknown = {}, extra: { LogType?: 'Tail' } = {}): Promise<InvokeCommandOutput> =>
  lambda.send(new InvokeCommand({ FunctionName, Payload: JSON.stringify(payload), ...extra }));
const tailOf = (out: InvokeCommandOutput) => Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');

beforeAll(async () => {
  cloud = await startTestCloud();
  cloud.cloud.events.on('event', (event) => events.push(event));
  lambda = new LambdaClient(cloud.clientConfig);
  role = await createLambdaRole(cloud, 'runtime-role');
  const kit = { 'index.mjs': fixture('esm/index.mjs') };
  await Promise.all([
    deployFunction(lambda, { FunctionName: 'kit', Role: role, Handler: 'index.echo', files: kit, Environment: { Variables: { QUEUE_URL: 'http://queue' } } }),
    deployFunction(lambda, { FunctionName: 'whoami', Role: role, Handler: 'index.whoami', files: kit }),
    deployFunction(lambda, { FunctionName: 'logger', Role: role, Handler: 'index.log', files: kit }),
    deployFunction(lambda, { FunctionName: 'sleeper', Role: role, Handler: 'index.sleep', files: kit, Timeout: 1 }),
    deployFunction(lambda, { FunctionName: 'cjs', Role: role, Handler: 'index.handler', files: { 'index.js': fixture('cjs/index.js') } }),
  ]);
});
afterAll(() => cloud?.close());

describe('running handlers', () => {
  it('an ES module handler gets the event and a Lambda context', async () => {
    const out = await invoke('kit', { orderId: 'o-1' });
    expect(out.StatusCode).toBe(200);
    expect(out.ExecutedVersion).toBe('$LATEST');
    expect(out.FunctionError).toBeUndefined();
    const body = payloadOf(out);
    expect(body.event).toEqual({ orderId: 'o-1' });
    expect(body.context).toMatchObject({
      functionName: 'kit',
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:kit`,
      memoryLimitInMB: '128',
      awsRequestId: out.$metadata.requestId,
      logGroupName: '/aws/lambda/kit',
      logStreamName: expect.stringMatching(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/),
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(body.context.awsRequestId).toMatch(REQUEST_ID);
    expect(body.context.remainingMs).toBeGreaterThan(2000);
    expect(body.context.remainingMs).toBeLessThanOrEqual(3000);
  });

  it('Qualifier $LATEST is the function; any other qualifier does not exist', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'kit', Qualifier: '$LATEST', Payload: '{"q":1}' }));
    expect(payloadOf(out).event).toEqual({ q: 1 });
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'kit', Qualifier: '7' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: `Function not found: arn:aws:lambda:us-east-1:${ACCOUNT}:function:kit:7`,
    });
  });

  it('says once, in the live log, which Node runs nodejs22.x functions', () => {
    const notes = events.filter((e) => e.service === 'lambda' && e.action === 'Runtime' && e.detail?.startsWith('nodejs22.x'));
    expect(notes).toHaveLength(1);
    if (process.versions.node.startsWith('22.')) {
      // The suite's baseline: the local cloud's own Node is the runtime's.
      expect(notes[0].detail).toBe(`nodejs22.x functions run on Node ${process.versions.node} (the local cloud's own Node)`);
      expect(notes[0].error).toBeUndefined();
    } else {
      expect(notes[0].detail).toMatch(/^nodejs22\.x functions run on Node 22\.|, not on Node 22$/);
    }
  });

  it('handler strings reach nested exports; CommonJS handlers work too', async () => {
    await deployFunction(lambda, { FunctionName: 'nested', Role: role, Handler: 'index.nested.deeper.handler', files: { 'index.mjs': fixture('esm/index.mjs') } });
    expect(payloadOf(await invoke('nested'))).toBe('nested ok');
    const cjs = payloadOf(await invoke('cjs', { n: 1 }));
    expect(cjs).toMatchObject({ style: 'commonjs', event: { n: 1 }, host: 'string' });
  });

  it('the environment is Lambda\'s plus the function\'s, pointing the SDK at the local cloud', async () => {
    // Set in the local cloud's own environment before the next worker starts: it must not reach it.
    process.env.HOST_ONLY_SECRET = 'must not leak';
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'kit', Handler: 'index.env' }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'kit' });
    const env = payloadOf(await invoke('kit'));
    expect(env).toMatchObject({
      QUEUE_URL: 'http://queue',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'kit',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/kit',
      AWS_LAMBDA_LOG_STREAM_NAME: expect.stringMatching(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/),
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      _HANDLER: 'index.env',
      TZ: ':UTC',
      AWS_ENDPOINT_URL: cloud.url,
      AWS_ACCESS_KEY_ID: expect.stringMatching(/^ASIA[A-Z2-7]{16}$/),
      AWS_SECRET_ACCESS_KEY: expect.any(String),
      AWS_SESSION_TOKEN: expect.any(String),
    });
    expect(env.LAMBDA_TASK_ROOT).toContain(join('lambda', 'tasks', 'kit'));
    expect(env).not.toHaveProperty('HOST_ONLY_SECRET');
    expect(env.AWS_ACCESS_KEY_ID).not.toBe('test');
    delete process.env.HOST_ONLY_SECRET;
  });

  it('the function\'s SDK calls carry its execution role: STS says assumed-role/ROLE/FUNCTION', async () => {
    const roleId = (await new IAMClient(cloud.clientConfig).send(new GetRoleCommand({ RoleName: 'runtime-role' }))).Role!.RoleId;
    expect(payloadOf(await invoke('whoami'))).toEqual({
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/runtime-role/whoami`,
      UserId: `${roleId}:whoami`,
      Account: ACCOUNT,
    });
    // CommonJS code requires the runtime-provided SDK the same way.
    await deployFunction(lambda, { FunctionName: 'cjs-whoami', Role: role, Handler: 'index.whoami', files: { 'index.js': fixture('cjs/index.js') } });
    expect(payloadOf(await invoke('cjs-whoami'))).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/runtime-role/cjs-whoami`);
  });

  it('callback handlers: result, error, waiting for the empty event loop unless told not to; a plain return is null', async () => {
    const kit = { 'index.mjs': fixture('esm/index.mjs') };
    await Promise.all(
      ['callback', 'callbackError', 'callbackWaits', 'callbackNoWait', 'syncReturn'].map((h) =>
        deployFunction(lambda, { FunctionName: `cb-${h}`, Role: role, Handler: `index.${h}`, files: kit, Timeout: 5 }),
      ),
    );
    expect(payloadOf(await invoke('cb-callback'))).toEqual({ via: 'callback' });
    const error = await invoke('cb-callbackError');
    expect(error.FunctionError).toBe('Unhandled');
    expect(payloadOf(error)).toMatchObject({ errorType: 'Error', errorMessage: 'callback failure' });
    // The answer waits for the 150 ms timer the handler left behind (so the timer has run).
    expect(payloadOf(await invoke('cb-callbackWaits')).state).toEqual({ timerRan: true });
    const started = performance.now();
    expect(payloadOf(await invoke('cb-callbackNoWait'))).toBe('fast');
    expect(performance.now() - started).toBeLessThan(1500);
    expect(payloadOf(await invoke('cb-syncReturn'))).toBeNull();
  });
});

describe('errors', () => {
  const kit = () => ({ 'index.mjs': fixture('esm/index.mjs') });

  it('a thrown error: 200, X-Amz-Function-Error Unhandled, the Node.js runtime\'s error document', async () => {
    await deployFunction(lambda, { FunctionName: 'thrower', Role: role, Handler: 'index.fail', files: kit() });
    const out = await invoke('thrower');
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    const body = payloadOf(out);
    expect(Object.keys(body)).toEqual(['errorType', 'errorMessage', 'trace']);
    expect(body.errorType).toBe('TypeError');
    expect(body.errorMessage).toBe('the order has no items');
    expect(body.trace[0]).toBe('TypeError: the order has no items');
    expect(body.trace[1]).toMatch(/^ {4}at fail \(file:\/\/.*index\.mjs:\d+:\d+\)$/);
  });

  it('a timeout kills the worker: Sandbox.Timedout "Task timed out after 1.00 seconds"', async () => {
    const first = payloadOf(await invoke('sleeper', { ms: 10 }));
    const out = await invoke('sleeper', { ms: 5000 }, { LogType: 'Tail' });
    expect(out.FunctionError).toBe('Unhandled');
    const requestId = out.$metadata.requestId!;
    expect(payloadOf(out)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${requestId} Error: Task timed out after 1.00 seconds`,
    });
    expect(tailOf(out)).toMatch(new RegExp(`\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${requestId} Task timed out after 1\\.00 seconds\\n`));
    expect(tailOf(out)).toContain('Status: timeout');
    expect(processExists(first.pid)).toBe(false);
    const next = payloadOf(await invoke('sleeper', { ms: 10 }));
    expect(next.pid).not.toBe(first.pid);
  });

  it('init errors come back in the runtime\'s shape: missing export, not a function, missing module, bad handler', async () => {
    const cases: Array<[string, string, string]> = [
      ['index.nope', 'Runtime.HandlerNotFound', 'index.nope is undefined or not exported'],
      ['index.notAFunction', 'Runtime.HandlerNotFound', 'index.notAFunction is not a function'],
      ['missing.handler', 'Runtime.ImportModuleError', "Error: Cannot find module 'missing'\nRequire stack:\n- /var/runtime/index.mjs"],
      ['index', 'Runtime.MalformedHandlerName', 'Bad handler'],
    ];
    await Promise.all(
      cases.map(([Handler], i) => deployFunction(lambda, { FunctionName: `init-${i}`, Role: role, Handler, files: kit() })),
    );
    for (const [i, [, errorType, errorMessage]] of cases.entries()) {
      const out = await invoke(`init-${i}`, {}, { LogType: 'Tail' });
      expect(out.FunctionError).toBe('Unhandled');
      const body = payloadOf(out);
      expect(body).toMatchObject({ errorType, errorMessage });
      expect(body.trace[0]).toBe(`${errorType}: ${errorMessage.split('\n')[0]}`);
      expect(tailOf(out)).toContain(`\tundefined\tERROR\tUncaught Exception \t{"errorType":"${errorType}"`);
      expect(tailOf(out)).toContain(`Status: error\tError Type: ${errorType}`);
    }
  });

  it('code that throws while loading fails every cold start until fixed; a syntax error is UserCodeSyntaxError', async () => {
    await deployFunction(lambda, { FunctionName: 'init-throws', Role: role, Handler: 'init-throws.handler', files: { 'init-throws.mjs': fixture('broken/init-throws.mjs') } });
    const out = await invoke('init-throws');
    expect(payloadOf(out)).toMatchObject({ errorType: 'Error', errorMessage: 'cannot start without CONFIG_READY' });
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'init-throws', Environment: { Variables: { CONFIG_READY: '1' } } }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'init-throws' });
    expect(payloadOf(await invoke('init-throws'))).toBe('started');

    await deployFunction(lambda, { FunctionName: 'syntax', Role: role, Handler: 'syntax.handler', files: { 'syntax.mjs': fixture('broken/syntax.mjs') } });
    const syntax = payloadOf(await invoke('syntax'));
    expect(syntax.errorType).toBe('Runtime.UserCodeSyntaxError');
    expect(syntax.errorMessage).toMatch(/^SyntaxError: /);
  });

  it('process.exit in a handler is Runtime.ExitError; an unawaited rejection is Runtime.UnhandledPromiseRejection', async () => {
    await deployFunction(lambda, { FunctionName: 'quitter', Role: role, Handler: 'index.exit', files: kit() });
    const out = await invoke('quitter');
    expect(out.FunctionError).toBe('Unhandled');
    expect(payloadOf(out)).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${out.$metadata.requestId} Error: Runtime exited with error: exit status 3`,
    });

    await deployFunction(lambda, { FunctionName: 'floating', Role: role, Handler: 'index.floatingRejection', files: kit() });
    const rejected = payloadOf(await invoke('floating'));
    expect(rejected).toMatchObject({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: 'Error: nobody awaited me' });
  });

  it('bad input and oversized output', async () => {
    const raw = await signedFetch(`${cloud.url}/2015-03-31/functions/kit/invocations`, { service: 'lambda', method: 'POST', body: '{not json' });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    expect(((await raw.json()) as { Message: string }).Message).toMatch(/^Could not parse request body into json: Could not parse payload into json: /);

    await deployFunction(lambda, { FunctionName: 'big', Role: role, Handler: 'index.bigResponse', files: kit() });
    const big = await invoke('big', { size: 7 * 1024 * 1024 });
    expect(big.FunctionError).toBe('Unhandled');
    expect(payloadOf(big)).toMatchObject({
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
    });
  });

  it('a package that is not in the zip is not found, even when the local cloud has it installed', async () => {
    // A data folder inside this repository: walking up from the code would reach its node_modules.
    const repo = fileURLToPath(new URL('../../', import.meta.url));
    const dataDir = join(repo, 'node_modules', '.cache', `local-cloud-test-${process.pid}`);
    mkdirSync(dataDir, { recursive: true });
    const inside = await startTestCloud({ dataDir });
    try {
      const client = new LambdaClient(inside.clientConfig);
      const insideRole = await createLambdaRole(inside, 'unbundled-role');
      await deployFunction(client, { FunctionName: 'esm', Role: insideRole, Handler: 'unbundled.handler', files: { 'unbundled.mjs': fixture('broken/unbundled.mjs') } });
      await deployFunction(client, { FunctionName: 'cjs', Role: insideRole, Handler: 'unbundled.handler', files: { 'unbundled.cjs': fixture('broken/unbundled.cjs') } });
      const esm = payloadOf(await client.send(new InvokeCommand({ FunctionName: 'esm' })));
      expect(esm.errorType).toBe('Runtime.ImportModuleError');
      expect(esm.errorMessage).toMatch(/^Error: Cannot find package 'zod' imported from .*unbundled\.mjs$/);
      const cjs = payloadOf(await client.send(new InvokeCommand({ FunctionName: 'cjs' })));
      expect(cjs.errorType).toBe('Runtime.ImportModuleError');
      expect(cjs.errorMessage).toMatch(/^Error: Cannot find module 'zod'\nRequire stack:\n- .*unbundled\.cjs/);

      // The AWS SDK is the runtime's own: it stays importable, from ES modules and CommonJS alike.
      await deployFunction(client, { FunctionName: 'sdk-esm', Role: insideRole, Handler: 'index.whoami', files: { 'index.mjs': fixture('esm/index.mjs') } });
      await deployFunction(client, { FunctionName: 'sdk-cjs', Role: insideRole, Handler: 'index.whoami', files: { 'index.js': fixture('cjs/index.js') } });
      expect(payloadOf(await client.send(new InvokeCommand({ FunctionName: 'sdk-esm' }))).Arn).toBe(
        `arn:aws:sts::${ACCOUNT}:assumed-role/unbundled-role/sdk-esm`,
      );
      expect(payloadOf(await client.send(new InvokeCommand({ FunctionName: 'sdk-cjs' })))).toBe(
        `arn:aws:sts::${ACCOUNT}:assumed-role/unbundled-role/sdk-cjs`,
      );
    } finally {
      await inside.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('invocation types and logs', () => {
  it('LogType Tail: the last 4 KB of the log, with the handler\'s lines and START/END/REPORT', async () => {
    const cold = await invoke('logger', { orderId: 'o-7' }, { LogType: 'Tail' });
    const id = cold.$metadata.requestId!;
    const tail = tailOf(cold);
    const ts = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
    // The runtime version names the Node that ran the function.
    expect(tail).toMatch(/^INIT_START Runtime Version: nodejs:22\.local-node-v\d+\.\d+\.\d+\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}\n/m);
    expect(tail).toContain(`START RequestId: ${id} Version: $LATEST\n`);
    expect(tail).toMatch(new RegExp(`${ts}\\t${id}\\tINFO\\thello from the handler { orderId: 'o-7' }\\n`));
    expect(tail).toMatch(new RegExp(`${ts}\\t${id}\\tINFO\\tan info line\\n`));
    expect(tail).toMatch(new RegExp(`${ts}\\t${id}\\tWARN\\ta warning\\n`));
    expect(tail).toMatch(new RegExp(`${ts}\\t${id}\\tERROR\\tan error line\\n`));
    expect(tail).toContain('raw stdout line\n');
    expect(tail).toContain(`END RequestId: ${id}\n`);
    expect(tail).toMatch(
      new RegExp(
        `REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d\\d ms\\t\\n$`,
      ),
    );
    const warm = tailOf(await invoke('logger', {}, { LogType: 'Tail' }));
    expect(warm).not.toContain('Init Duration');
    expect(warm).not.toContain('INIT_START');
    expect((await invoke('logger')).LogResult).toBeUndefined();

    await deployFunction(lambda, { FunctionName: 'chatty', Role: role, Handler: 'index.chatty', files: { 'index.mjs': fixture('esm/index.mjs') } });
    const long = await invoke('chatty', { lines: 200 }, { LogType: 'Tail' });
    expect(Buffer.from(long.LogResult!, 'base64').length).toBe(4096);
    expect(tailOf(long)).toMatch(/REPORT RequestId: \S+\t.*\n$/);
  });

  it("a long invocation's lines reach CloudWatch Logs while it runs, stamped with when they were written", async () => {
    const logsRole = await createLambdaRole(cloud, 'runtime-logs-role', { logs: true });
    await deployFunction(lambda, { FunctionName: 'slow-logger', Role: logsRole, Handler: 'index.logThenSleep', files: { 'index.mjs': fixture('esm/index.mjs') } });
    await invoke('slow-logger', { ms: 1 }); // warm, so the next one's timing is the handler's
    const logs = new CloudWatchLogsClient(cloud.clientConfig);
    const started = Date.now();
    let finished = false;
    const running = invoke('slow-logger', { ms: 1500 }).then((out) => ((finished = true), out));
    const lineWhileRunning = async () => {
      for (;;) {
        const found = await logs.send(
          new FilterLogEventsCommand({ logGroupName: '/aws/lambda/slow-logger', filterPattern: '"before the wait"', startTime: started }),
        );
        if (found.events?.length || finished) return { event: found.events?.[0], finished };
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const seen = await lineWhileRunning();
    expect(seen.finished).toBe(false);
    expect(seen.event!.timestamp! - started).toBeLessThan(500);
    expect(payloadOf(await running)).toBe('slept');
  });

  it('Event answers 202 and runs in the background; DryRun answers 204 and runs nothing', async () => {
    const pidsBefore = cloud.cloud.lambda.workerPids('sleeper');
    const dry = await lambda.send(new InvokeCommand({ FunctionName: 'sleeper', InvocationType: 'DryRun', Payload: '{"ms":1}' }));
    expect(dry.StatusCode).toBe(204);
    expect(cloud.cloud.lambda.workerPids('sleeper')).toEqual(pidsBefore);

    const seen = new Promise<string>((resolve) => {
      const onEvent = (e: { service: string; action: string; detail?: string; error?: string }) => {
        if (e.service === 'lambda' && e.action === 'Invoke' && e.detail?.startsWith('thrower (Event)')) {
          cloud.cloud.events.off('event', onEvent);
          resolve(e.error ?? '');
        }
      };
      cloud.cloud.events.on('event', onEvent);
    });
    const queued = await lambda.send(new InvokeCommand({ FunctionName: 'thrower', InvocationType: 'Event', Payload: '{}' }));
    expect(queued.StatusCode).toBe(202);
    expect(queued.Payload?.length ?? 0).toBe(0);
    // The background run fails, and the live log says so.
    expect(await seen).toBe('TypeError: the order has no items');
  });
});
