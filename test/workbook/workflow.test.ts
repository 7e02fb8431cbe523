import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetFunctionCommand, ListEventSourceMappingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HINTS } from '../../hints/index.ts';
import { adaptForV1, awsCliEnvironment } from '../../lib/aws-cli.ts';
import { resolveTarget } from '../../lib/config.ts';
import { names } from '../../lib/names.ts';
import { STEPS } from '../../lib/steps.ts';
import { findBlanks } from '../../lib/todo.ts';
import { AWS_CLI, startTestCloud, type TestCloud } from '../support/cloud.ts';
import { repoRoot, workRoot } from './support.ts';
import { copyOfRepository } from '../support/committed-steps.ts';

const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

/** Runs what `npm run NAME -- ARGS` runs (package.json's command) in `cwd`; never rejects. */
function runScriptIn(cwd: string, name: string, env: NodeJS.ProcessEnv, args: string[] = [], input?: string): Promise<Result> {
  const [program, ...rest] = scripts[name].split(' ');
  expect(program).toBe('node');
  return runIn(cwd, process.execPath, [...rest, ...args], env, input);
}

function runIn(cwd: string, file: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd, env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(input);
  });
}

/**
 * A copy of the repository as a learner has it: every file git tracks or would track (so
 * uncommitted work is in), node_modules linked, committed once in a git of its own.
 */
function copyRepository(): string {
  const copy = copyOfRepository(repoRoot);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Learner', '-c', 'user.email=learner@example.com', ...args], { cwd: copy, stdio: 'pipe' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'the workbook');
  return copy;
}

/** The environment of a learner's terminal aimed at the test cloud, without colours or a .env of the real repository. */
const learnerEnv = (cloud: TestCloud, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...cloud.env, WORKBOOK_AWS_CLI: AWS_CLI, ...extra });

describe('hint, reset, watch and aws on a copy of the repository', () => {
  let cloud: TestCloud;
  let copy: string;

  beforeAll(async () => {
    cloud = await startTestCloud();
    copy = copyRepository();
  }, 60_000);

  afterAll(async () => {
    await cloud?.close();
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  const read = (path: string) => readFileSync(join(copy, path), 'utf8');
  const committed = (path: string) => execFileSync('git', ['show', `HEAD:${path}`], { cwd: copy }).toString();
  const blankLine = () => read('steps/01-queue/deploy.ts').split('\n').findIndex((l) => l.includes('RedrivePolicy: todo(')) + 1;

  it('npm run hint 1: one hint more each time, remembered in .workbook/, never past the last', async () => {
    const env = learnerEnv(cloud);
    const first = await runScriptIn(copy, 'hint', env, ['1']);
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toContain(`at \`steps/01-queue/deploy.ts:${blankLine()}\``);
    expect(first.stdout).toContain('Hint 1 of 3:');
    expect(first.stdout).not.toContain('Hint 2 of 3:');
    expect(first.stdout).toContain('`npm run hint 1 -- --next` shows hint 2 of 3');
    expect(JSON.parse(read('.workbook/hints.json'))).toEqual({ revealed: { '1:deploy.ts#RedrivePolicy': 1 } });

    const second = await runScriptIn(copy, 'hint', env, ['1', '--next']);
    expect(second.stdout).toContain('Hint 2 of 3:');
    expect(second.stdout).toContain('deadLetterTargetArn');
    // Asked again without --next: what was shown so far, not less.
    const again = await runScriptIn(copy, 'hint', env, ['1']);
    expect(again.stdout).toContain('Hint 2 of 3:');
    expect(again.stdout).not.toContain('Hint 3 of 3:');
    const third = await runScriptIn(copy, 'hint', env, ['1', '--next']);
    expect(third.stdout).toContain('Hint 3 of 3:');
    expect(third.stdout).toContain('No more hints for this blank');
    const beyond = await runScriptIn(copy, 'hint', env, ['1', '--next']);
    expect(beyond.code).toBe(0);
    expect(beyond.stdout).toContain('That was already the last hint for this blank.');
    expect(JSON.parse(read('.workbook/hints.json')).revealed['1:deploy.ts#RedrivePolicy']).toBe(3);
  });

  it('npm run hint: --all, a step without blanks, no step given, and what it does not understand', async () => {
    const env = learnerEnv(cloud);
    const all = await runScriptIn(copy, 'hint', env, ['7', '--all']);
    expect(all.code, all.output).toBe(0);
    expect(all.stdout.match(/^Blank \d: /gm)).toEqual(['Blank 1: ', 'Blank 2: ', 'Blank 3: ']);
    expect(all.stdout).toContain('steps/07-recorder-lambda/handler.ts:');
    const none = await runScriptIn(copy, 'hint', env, ['4']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('Step 4 (The order-updates topic) has no blanks');
    // No number: the first step with a blank left (step 1 here).
    const first = await runScriptIn(copy, 'hint', env, []);
    expect(first.stdout).toMatch(/^Step 1, blank 1 of 1/m);
    for (const bad of [['x'], ['1', '2'], ['1', '--next', '--all'], ['--nope']]) {
      const result = await runScriptIn(copy, 'hint', env, bad);
      expect(result.code, bad.join(' ')).toBe(2);
      expect(result.stdout).toContain('usage:');
    }
    const unknown = await runScriptIn(copy, 'hint', env, ['99']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('There is no step 99.');
  });

  it('npm run hint: a damaged progress file counts as nothing seen, and is rewritten', async () => {
    const env = learnerEnv(cloud);
    const file = join(copy, '.workbook', 'hints.json');
    for (const damaged of ['not json', '[]', 'null', '{"revealed":{"__proto__":{"x":1},"2:order.ts":"lots","2:deploy.ts":-4,"6:deploy.ts#tableKey":1.5}}']) {
      writeFileSync(file, damaged);
      const result = await runScriptIn(copy, 'hint', env, ['2']);
      expect(result.code, result.output).toBe(0);
      expect(result.stdout).toContain('Hint 1 of 3:');
      expect(result.stdout).not.toContain('Hint 2 of 3:');
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { revealed: Record<string, number> };
      expect(saved.revealed['2:deploy.ts']).toBe(1);
      expect(Object.values(saved.revealed).every((n) => Number.isInteger(n) && n >= 1)).toBe(true);
    }
  });

  it('npm run hint: a step whose blanks are all filled says so', async () => {
    const path = 'steps/03-api/deploy.ts';
    writeFileSync(join(copy, path), read('solutions/03-api/deploy.ts'));
    try {
      const result = await runScriptIn(copy, 'hint', learnerEnv(cloud), ['3']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Every blank of step 3 is filled.');
    } finally {
      writeFileSync(join(copy, path), committed(path));
    }
  });

  it('npm run reset 1: --dry-run changes nothing; then the blanks are back and the learner\'s version is in a backup', async () => {
    const env = learnerEnv(cloud);
    const learnerVersion = read('solutions/01-queue/deploy.ts').replace('MAX_RECEIVE_COUNT }', 'MAX_RECEIVE_COUNT } /* mine */');
    writeFileSync(join(copy, 'steps/01-queue/deploy.ts'), learnerVersion);
    rmSync(join(copy, 'steps/01-queue/README.md'));
    writeFileSync(join(copy, 'steps/01-queue/notes.txt'), 'my notes');

    const dry = await runScriptIn(copy, 'reset', env, ['1', '--dry-run']);
    expect(dry.code, dry.output).toBe(0);
    expect(dry.stdout).toContain('Dry run: nothing is changed.');
    expect(dry.stdout).toContain('restore steps/01-queue/deploy.ts (changed here)');
    expect(dry.stdout).toContain('restore steps/01-queue/README.md (deleted here)');
    expect(read('steps/01-queue/deploy.ts')).toBe(learnerVersion);
    expect(existsSync(join(copy, '.workbook', 'backups'))).toBe(false);

    const reset = await runScriptIn(copy, 'reset', env, ['1']);
    expect(reset.code, reset.output).toBe(0);
    const backup = /Saved your version of 1 file\(s\) in (\.workbook\/backups\/01-queue-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)\//.exec(reset.stdout)?.[1];
    expect(backup, reset.stdout).toBeDefined();
    expect(readFileSync(join(copy, backup!, 'deploy.ts'), 'utf8')).toBe(learnerVersion);
    expect(read('steps/01-queue/deploy.ts')).toBe(committed('steps/01-queue/deploy.ts'));
    expect(read('steps/01-queue/deploy.ts')).toContain('RedrivePolicy: todo(');
    expect(read('steps/01-queue/README.md')).toBe(committed('steps/01-queue/README.md'));
    expect(reset.stdout).toContain('steps/01-queue/notes.txt: yours, not part of the step; left as it is');
    expect(read('steps/01-queue/notes.txt')).toBe('my notes');
    expect(reset.stdout).toContain(`cp -r ${backup}/. steps/01-queue/`);

    const twice = await runScriptIn(copy, 'reset', env, ['1']);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toContain('steps/01-queue is already as committed');
    expect(readdirSync(join(copy, '.workbook', 'backups'))).toHaveLength(1);
    rmSync(join(copy, 'steps/01-queue/notes.txt'));
  });

  it('npm run reset refuses out loud: answers committed, no git, no step, a bad --from', async () => {
    const env = learnerEnv(cloud);
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Learner', '-c', 'user.email=learner@example.com', ...args], { cwd: copy, stdio: 'pipe' });
    const path = 'steps/06-table/deploy.ts';
    const blanks = read(path);
    writeFileSync(join(copy, path), read('solutions/06-table/deploy.ts'));
    git('commit', '-q', '-am', 'my answers');
    try {
      const refused = await runScriptIn(copy, 'reset', env, ['6']);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('The copy of steps/06-table in HEAD has no blanks (were your answers committed?)');
      expect(refused.stdout).toContain('Nothing was changed.');
      const fromBefore = await runScriptIn(copy, 'reset', env, ['6', '--from', 'HEAD~1']);
      expect(fromBefore.code, fromBefore.output).toBe(0);
      expect(read(path)).toBe(blanks);
    } finally {
      git('reset', '-q', '--hard', 'HEAD~1');
    }
    const noGit = await runScriptIn(copy, 'reset', { ...env, GIT_DIR: join(copy, 'not-a-git-dir') }, ['1']);
    expect(noGit.code).toBe(1);
    expect(noGit.stdout).toContain('is not a git checkout');
    const badFrom = await runScriptIn(copy, 'reset', env, ['1', '--from', 'no-such-branch']);
    expect(badFrom.code).toBe(1);
    expect(badFrom.stdout).toContain('"no-such-branch" is not a commit in this repository.');
    for (const bad of [[], ['1', '--from'], ['1', '--from', '--upload-pack=x'], ['1', '--force']]) {
      const result = await runScriptIn(copy, 'reset', env, bad);
      expect(result.code, bad.join(' ')).toBe(2);
    }
  });

  it('npm run watch 1: runs the step, runs it and its check again after a save, and stops cleanly on Ctrl-C', async () => {
    const [, ...rest] = scripts.watch.split(' ');
    const child = spawn(process.execPath, [...rest, '1'], { cwd: copy, env: learnerEnv(cloud), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const changed: (() => void)[] = [];
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const wake of changed.splice(0)) wake();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    /** Waits until the output matches, waking on each new chunk; fails at the deadline. */
    const waitFor = async (pattern: RegExp, deadlineMs = 60_000) => {
      const deadline = Date.now() + deadlineMs;
      while (!pattern.test(output)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${output}`);
        await new Promise<void>((wake) => {
          changed.push(wake);
          setTimeout(wake, deadline - Date.now()).unref();
        });
      }
    };
    try {
      await waitFor(/Watching steps\/01-queue for saves/);
      expect(output).toContain('There is a blank to fill in at steps/01-queue/deploy.ts:');
      expect(output).toContain('(the check runs once the step succeeds)');
      writeFileSync(join(copy, 'steps/01-queue/deploy.ts'), read('solutions/01-queue/deploy.ts'));
      await waitFor(/npm run check:step-1[\s\S]*Watching steps\/01-queue for saves/);
      expect(output.match(/npm run step:1 \(/g)).toHaveLength(2);
      expect(output).toMatch(/✔ Step 1: all \d+ verifications passed|✔ Step 1/);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(output).toContain('Stopped watching steps/01-queue.');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      writeFileSync(join(copy, 'steps/01-queue/deploy.ts'), committed('steps/01-queue/deploy.ts'));
    }
  }, 120_000);

  it('npm run aws -- sqs list-queues: through npm, against the local cloud, whatever the learner has set up for real AWS', async () => {
    await new SQSClient(cloud.clientConfig).send(new CreateQueueCommand({ QueueName: 'workflow-listed' }));
    const home = mkdtempSync(join(tmpdir(), 'learner-home-'));
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'config'), '[default]\nregion = eu-west-3\noutput = text\ncli_pager = less\n[profile work]\nregion = ap-south-1\n');
    writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIAREALKEYOFTHELEARNER\naws_secret_access_key = real\n');
    try {
      const env = learnerEnv(cloud, {
        HOME: home,
        AWS_PROFILE: 'work',
        AWS_ACCESS_KEY_ID: 'ASIAREALSESSIONKEY',
        AWS_SECRET_ACCESS_KEY: 'real-secret',
        AWS_SESSION_TOKEN: 'a-real-session-token',
        AWS_REGION: undefined,
        AWS_DEFAULT_REGION: undefined,
        AWS_PAGER: undefined,
      });
      const result = await runIn(copy, 'npm', ['run', 'aws', '--', 'sqs', 'list-queues', '--output', 'json'], env);
      expect(result.code, result.output).toBe(0);
      expect(result.output).not.toMatch(/You must specify a region|security token|InvalidClientTokenId|Unable to locate credentials/);
      const json = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as { QueueUrls: string[] };
      expect(json.QueueUrls).toContain(`${cloud.url}/000000000000/workflow-listed`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('npm run aws', () => {
  let cloud: TestCloud;
  let scratch: string;
  beforeAll(async () => {
    cloud = await startTestCloud();
    scratch = mkdtempSync(join(tmpdir(), 'aws-wrapper-'));
  });
  afterAll(async () => {
    await cloud?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const aws = (env: NodeJS.ProcessEnv, args: string[], input?: string) => runScriptIn(repoRoot, 'aws', env, args, input);

  /** A stand-in CLI that reports the arguments and environment it was given, as the aws CLI v`major`. */
  function fakeCli(major: 1 | 2): string {
    const file = join(scratch, `fake-aws-v${major}`);
    const report = `process.stdout.write(process.argv[1]==='--version'?'aws-cli/${major}.99.0 Python/3\\n':JSON.stringify({args:process.argv.slice(1),env:process.env}))`;
    writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" -e "${report.replace(/"/g, '\\"')}" -- "$@"\n`);
    chmodSync(file, 0o755);
    return file;
  }

  it('passes exit code, stdin and stdout through', async () => {
    const env = learnerEnv(cloud);
    const missing = await aws(env, ['sqs', 'get-queue-url', '--queue-name', 'no-such-queue']);
    expect(missing.code).toBe(254); // the aws CLI v2's code for a service error
    expect(missing.stderr).toContain('AWS.SimpleQueueService.NonExistentQueue');
    const { QueueUrl } = await new SQSClient(cloud.clientConfig).send(new CreateQueueCommand({ QueueName: 'from-stdin' }));
    // Through a shell's pipe, as a learner would type it (Node's own stdio pipes are sockets, which /dev/stdin cannot open).
    const [, ...rest] = scripts.aws.split(' ');
    const line = `printf 'a body from stdin' | "${process.execPath}" ${rest.join(' ')} sqs send-message --queue-url '${QueueUrl}' --message-body file:///dev/stdin --output json`;
    const sent = await runIn(repoRoot, '/bin/sh', ['-c', line], env);
    expect(sent.code, sent.output).toBe(0);
    expect(JSON.parse(sent.stdout).MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const { Messages } = await new SQSClient(cloud.clientConfig).send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(Messages?.[0]?.Body).toBe('a body from stdin');
  });

  it('starts the local cloud when none runs, and keeps stdout for the CLI', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aws-wrapper-cloud-'));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const env = learnerEnv(cloud, { LOCAL_CLOUD_PORT: String(port), LOCAL_CLOUD_DATA: dataDir });
    let pid: number | undefined;
    try {
      const result = await aws(env, ['sqs', 'list-queues', '--output', 'json']);
      pid = Number(/\(pid (\d+)/.exec(result.stderr)?.[1]) || undefined;
      expect(result.code, result.output).toBe(0);
      expect(result.stderr).toContain(`Started the local cloud in the background at http://127.0.0.1:${port}`);
      expect(result.stdout.trim()).toBe(''); // a fresh cloud has no queues: the CLI prints nothing, and nothing else is on stdout
    } finally {
      if (pid) process.kill(pid, 'SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(`${dataDir}.log`, { force: true });
    }
  });

  it('without an aws CLI, says how to install one', async () => {
    const result = await aws({ ...learnerEnv(cloud), WORKBOOK_AWS_CLI: undefined, PATH: join(scratch, 'empty') }, ['sqs', 'list-queues']);
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('The aws CLI is not installed (no `aws` on PATH).');
    expect(result.stderr).toContain('https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html');
    expect(result.stderr).toContain('https://awscli.amazonaws.com/awscli-exe-linux-x86_64.zip');
    expect(result.stderr).toContain('sudo apt install awscli');
    expect(result.stderr).toContain('pip install awscli');
    const wrongPath = await aws({ ...learnerEnv(cloud), WORKBOOK_AWS_CLI: join(scratch, 'nothing-here') }, ['sqs', 'list-queues']);
    expect(wrongPath.code).toBe(127);
    expect(wrongPath.stderr).toContain('WORKBOOK_AWS_CLI is "');
    const noArgs = await aws(learnerEnv(cloud), []);
    expect(noArgs.code).toBe(2);
    expect(noArgs.stderr).toContain('npm run aws -- sqs list-queues');
  });

  it("local cloud: the cloud's endpoint, region and key pair; the learner's profile, session token and files removed", async () => {
    const result = await aws(learnerEnv(cloud, { WORKBOOK_AWS_CLI: fakeCli(2), AWS_PROFILE: 'work', AWS_SESSION_TOKEN: 'tok', AWS_REGION: undefined, LOCAL_CLOUD_ACCESS_KEY_ID: 'mykey', LOCAL_CLOUD_SECRET_ACCESS_KEY: 'mysecret' }), ['sqs', 'list-queues']);
    expect(result.code, result.output).toBe(0);
    const seen = JSON.parse(result.stdout) as { args: string[]; env: Record<string, string> };
    expect(seen.args).toEqual(['--endpoint-url', cloud.url, 'sqs', 'list-queues']);
    expect(seen.env).toMatchObject({ AWS_ACCESS_KEY_ID: 'mykey', AWS_SECRET_ACCESS_KEY: 'mysecret', AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1', AWS_PAGER: '', AWS_CONFIG_FILE: devNull, AWS_SHARED_CREDENTIALS_FILE: devNull });
    expect(seen.env.AWS_PROFILE).toBeUndefined();
    expect(seen.env.AWS_SESSION_TOKEN).toBeUndefined();
  });

  it("real AWS: the learner's own credentials, profile and region, no endpoint", async () => {
    const env = { ...process.env, WORKBOOK_TARGET: 'aws', AWS_REGION: 'eu-west-1', AWS_PROFILE: 'work', AWS_SESSION_TOKEN: 'tok', AWS_ENDPOINT_URL: undefined, WORKBOOK_AWS_CLI: fakeCli(2), NO_COLOR: '1' };
    const result = await aws(env, ['sqs', 'list-queues']);
    expect(result.code, result.output).toBe(0);
    const seen = JSON.parse(result.stdout) as { args: string[]; env: Record<string, string> };
    expect(seen.args).toEqual(['sqs', 'list-queues']);
    expect(seen.env).toMatchObject({ AWS_PROFILE: 'work', AWS_SESSION_TOKEN: 'tok', AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1', AWS_PAGER: '' });
    expect(seen.env.AWS_CONFIG_FILE).toBe(process.env.AWS_CONFIG_FILE);
  });

  it('the aws CLI v1: --cli-binary-format left out, logs tail run as filter-log-events, each said', async () => {
    const env = learnerEnv(cloud, { WORKBOOK_AWS_CLI: fakeCli(1) });
    const invoke = await aws(env, ['lambda', 'invoke', '--function-name', 'f', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{}', 'out.json']);
    expect(JSON.parse(invoke.stdout).args).toEqual(['--endpoint-url', cloud.url, 'lambda', 'invoke', '--function-name', 'f', '--payload', '{}', 'out.json']);
    expect(invoke.stderr).toContain('left out --cli-binary-format');
    const tail = await aws(env, ['logs', 'tail', '/aws/lambda/workbook-monitor', '--since', '10m', '--follow']);
    const args = JSON.parse(tail.stdout).args as string[];
    expect(args.slice(0, 6)).toEqual(['--endpoint-url', cloud.url, 'logs', 'filter-log-events', '--log-group-name', '/aws/lambda/workbook-monitor']);
    const start = Number(args[args.indexOf('--start-time') + 1]);
    expect(Math.abs(Date.now() - 10 * 60_000 - start)).toBeLessThan(60_000);
    expect(tail.stderr).toContain('the aws CLI v1 has no `logs tail`');
    expect(tail.stderr).toContain('the aws CLI v1 cannot follow a log');
    // The same words to the CLI v2 go through unchanged.
    const v2 = await aws(learnerEnv(cloud, { WORKBOOK_AWS_CLI: fakeCli(2) }), ['logs', 'tail', '/g', '--since', '10m']);
    expect(JSON.parse(v2.stdout).args).toEqual(['--endpoint-url', cloud.url, 'logs', 'tail', '/g', '--since', '10m']);
  });

  it('adaptForV1 and awsCliEnvironment on their own: odd spellings', () => {
    expect(adaptForV1(['logs', 'tail', '--since', '1h', '/g'], 7_200_000).args).toEqual(['logs', 'filter-log-events', '--log-group-name', '/g', '--output', 'text', '--query', 'events[].[timestamp,logStreamName,message]', '--start-time', '3600000']);
    expect(adaptForV1(['--region', 'us-east-1', 'logs', 'tail', '/g'], 0).args.slice(0, 5)).toEqual(['--region', 'us-east-1', 'logs', 'filter-log-events', '--log-group-name']);
    expect(adaptForV1(['sqs', 'list-queues', '--cli-binary-format']).args).toEqual(['sqs', 'list-queues']);
    expect(adaptForV1(['sqs', 'list-queues']).notes).toEqual([]);
    const target = resolveTarget({ ...cloud.env, AWS_ENDPOINT_URL: 'http://localhost:4566' });
    const env = awsCliEnvironment(target, { AWS_ENDPOINT_URL_SQS: 'http://elsewhere', AWS_WEB_IDENTITY_TOKEN_FILE: '/t', AWS_ROLE_ARN: 'arn', PATH: '/bin' });
    expect(env.AWS_ENDPOINT_URL_SQS).toBeUndefined();
    expect(env.AWS_WEB_IDENTITY_TOKEN_FILE).toBeUndefined();
    expect(env.AWS_ROLE_ARN).toBeUndefined();
    expect(env.PATH).toBe('/bin');
  });
});

describe('the hints', () => {
  it('cover every blank in steps/, each with at least three, none a copy of the solution', () => {
    for (const step of STEPS) {
      const entries = HINTS.get(step.number) ?? [];
      // The committed blanks, whatever a learner filled in (see test/support/committed-steps.ts).
      const blanks = findBlanks(join(workRoot, 'steps', step.folder));
      expect(entries.length, `step ${step.number}: one hint entry per blank`).toBe(blanks.length);
      for (const entry of entries) {
        const lines = readFileSync(join(workRoot, 'steps', step.folder, entry.file), 'utf8').split('\n');
        const matching = blanks.filter((b) => b.file.endsWith(`steps/${step.folder}/${entry.file}`) && (!entry.marker || lines[b.line - 1].split('todo(')[0].includes(entry.marker)));
        expect(matching, `${step.folder}/${entry.file} ${entry.marker ?? ''}`).toHaveLength(1);
        expect(entry.hints.length).toBeGreaterThanOrEqual(3);
        // The solution's own lines for this file (those the learner's copy lacks), compared without spaces.
        const squash = (text: string) => text.replace(/\s+/g, '');
        const learner = new Set(lines.map(squash));
        const solutionLines = readFileSync(join(repoRoot, 'solutions', step.folder, entry.file), 'utf8')
          .split('\n')
          .map(squash)
          .filter((l) => l.length > 12 && !learner.has(l));
        expect(solutionLines.length).toBeGreaterThan(0);
        for (const hint of entry.hints) {
          for (const line of solutionLines) expect(squash(hint), `${step.folder}/${entry.file}: a hint quotes the solution`).not.toContain(line);
        }
      }
    }
  });
});

/** A command as printed somewhere, and where. */
interface Printed {
  where: string;
  /** The whole shell line for code blocks (`npm run aws -- …` and whatever follows); the aws arguments otherwise. */
  line: string;
}

/** `npm run aws -- …` in a Markdown file: code-block lines (with their `\` continuations) and inline code. */
function markdownCommands(file: string): Printed[] {
  const found: Printed[] = [];
  const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n');
  let inCode = false;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    if (text.trimStart().startsWith('```')) {
      inCode = !inCode;
      continue;
    }
    if (inCode) {
      if (!text.trimStart().startsWith('npm run aws -- ')) continue;
      let line = text.trim();
      while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i].trim()}`;
      found.push({ where: `${file}:${i + 1}`, line });
    } else {
      for (const match of text.matchAll(/`(npm run aws -- [^`]+)`/g)) found.push({ where: `${file}:${i + 1}`, line: match[1] });
    }
  }
  return found;
}

/** `npm run aws -- …` in the TypeScript that prints hints (checks, lib, scripts, steps), `${…}` left in. */
function sourceCommands(): Printed[] {
  const files = ['checks', 'lib', 'scripts', ...STEPS.map((s) => `steps/${s.folder}`)].flatMap((folder) =>
    readdirSync(join(repoRoot, folder)).filter((f) => f.endsWith('.ts')).map((f) => `${folder}/${f}`),
  );
  const found: Printed[] = [];
  for (const file of files) {
    const source = readFileSync(join(repoRoot, file), 'utf8');
    const where = (index: number) => `${file}:${source.slice(0, index).split('\n').length}`;
    for (const match of source.matchAll(/npm run aws -- ((?:\$\{[^}]*\}|[^`;\\$'"])+)/g)) {
      if (match[1].trim() === '${args}') continue; // the helper that builds them
      found.push({ where: where(match.index), line: `npm run aws -- ${match[1].trim()}` });
    }
    for (const match of source.matchAll(/awsCli\(`([^`]+)`\)/g)) found.push({ where: where(match.index), line: `npm run aws -- ${match[1]}` });
  }
  return found;
}

/** Commands named in prose, without their arguments: mentions, not commands to run. */
const MENTIONS = new Set(['npm run aws -- sqs receive-message', 'npm run aws -- sqs delete-message', 'npm run aws -- dynamodb delete-item', 'npm run aws -- …']);

describe('every `npm run aws -- …` the README, the lessons and the checks print', () => {
  let cloud: TestCloud;
  let scratch: string;
  beforeAll(async () => {
    cloud = await startTestCloud();
    scratch = mkdtempSync(join(tmpdir(), 'aws-commands-'));
  });
  afterAll(async () => {
    await cloud?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs against a local cloud with the pipeline deployed as far as each needs: exit 0, or the AWS error it must give', async () => {
    const env = learnerEnv(cloud, { HOME: scratch, AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    const n = names();
    const sqs = new SQSClient(cloud.clientConfig);
    const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    const outputs: string[] = [];
    /** What each placeholder stands for, once the pipeline exists (by file, then anywhere). */
    const values: Record<string, () => Promise<string>> = {
      URL: () => queueUrl(n.ordersQueue),
      ORDERS_QUEUE_URL: () => queueUrl(n.ordersQueue),
      DLQ_URL: () => queueUrl(n.deadLetterQueue),
      'QUEUE_URL_OF_workbook-recorder-failures': () => queueUrl(n.recorderFailureQueue),
      TOPIC_ARN: async () => (await new SNSClient(cloud.clientConfig).send(new CreateTopicCommand({ Name: n.updatesTopic }))).TopicArn!,
      HANDLE: async () => {
        const last = outputs.findLast((o) => o.includes('"ReceiptHandle"'));
        if (!last) throw new Error('no receive-message before this delete-message');
        return (JSON.parse(last) as { Messages: { ReceiptHandle: string }[] }).Messages[0].ReceiptHandle;
      },
      TOKEN: async () => 'a-token-no-confirmation-mail-carried',
      UUID: () => monitorMappingUuid(),
      'answer.json': async () => join(scratch, 'answer.json'),
      '${url}': () => queueUrl(n.ordersQueue),
      '${ordersUrl}': () => queueUrl(n.ordersQueue),
      '${queueUrl}': () => queueUrl(n.ordersQueue),
      '${TAG_KEY}': async () => 'workbook',
      '${n.prefix}': async () => n.prefix,
      '${n.orderEventsTable}': async () => n.orderEventsTable,
      'steps/06-table/deploy.ts ${name}': async () => n.orderEventsTable,
      'lib/lambda.ts ${name}': async () => n.intakeFunction,
      '${functionName}': async () => n.intakeFunction,
      '${p.logGroup}': async () => n.monitorLogGroup,
      '${n.monitorLogGroup}': async () => n.monitorLogGroup,
      '${topicArn}': () => values.TOPIC_ARN(),
      '${pipeline.deadLetter.url}': () => queueUrl(n.deadLetterQueue),
      '${uuid}': () => monitorMappingUuid(),
      '${deadLetter.url}': () => queueUrl(n.deadLetterQueue),
      'checks/step-2.ts ${config.FunctionArn}': () => functionArn(n.intakeFunction),
      'checks/step-7.ts ${config.FunctionArn}': () => functionArn(n.recorderFunction),
      '${fn.Configuration?.FunctionArn}': () => functionArn(n.monitorFunction),
      '${table.TableArn}': async () => (await new DynamoDBClient(cloud.clientConfig).send(new DescribeTableCommand({ TableName: n.orderEventsTable }))).Table!.TableArn!,
      '${ours[1].arn}': async () => {
        const topicArn = await values.TOPIC_ARN();
        const { Subscriptions } = await new SNSClient(cloud.clientConfig).send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
        return Subscriptions!.find((s) => s.Protocol === 'lambda')!.SubscriptionArn!;
      },
    };
    async function functionArn(name: string): Promise<string> {
      return (await new LambdaClient(cloud.clientConfig).send(new GetFunctionCommand({ FunctionName: name }))).Configuration!.FunctionArn!;
    }
    async function monitorMappingUuid(): Promise<string> {
      const { EventSourceMappings } = await new LambdaClient(cloud.clientConfig).send(new ListEventSourceMappingsCommand({ FunctionName: n.monitorFunction }));
      return EventSourceMappings![0].UUID!;
    }
    /** The command with every placeholder filled in; fails on one it does not know. */
    async function fill(printed: Printed): Promise<string> {
      let line = printed.line;
      const file = printed.where.split(':')[0];
      for (const expression of line.match(/\$\{[^}]*\}/g) ?? []) {
        const value = values[`${file} ${expression}`] ?? values[expression];
        expect(value, `${printed.where}: no value for ${expression} in ${line}`).toBeDefined();
        line = line.replace(expression, await value());
      }
      for (const word of new Set(line.match(/\b[A-Z][A-Z_]{2,}(?:_OF_[\w-]+)?\b|answer\.json/g) ?? [])) {
        if (['All', 'AND', 'BETWEEN'].includes(word) || !(word in values)) continue;
        line = line.split(word).join(await values[word]());
      }
      const unknown = /\b(?:URL|ARN|HANDLE|TOKEN|UUID|[A-Z]+_[A-Z_]+)\b/.exec(line.replace(/'[^']*'/g, ''));
      expect(unknown?.[0], `${printed.where}: a placeholder without a value in ${line}`).toBeUndefined();
      return line;
    }

    const [, ...wrapper] = scripts.aws.split(' ');
    const run = async (printed: Printed, line: string): Promise<void> => {
      const shell = line.replace(/^npm run aws -- /, `"${process.execPath}" ${wrapper.join(' ')} `);
      const following = / --follow\b/.test(line);
      const result = following ? await runUntilOutput(shell, env) : await runIn(repoRoot, '/bin/sh', ['-c', shell], env);
      outputs.push(result.stdout);
      const where = `${printed.where}: ${line}\n${result.output}`;
      expect(result.output, where).not.toMatch(/You must specify a region|Unable to locate credentials|InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|security token included/);
      const expected = expectedFailure(line);
      if (expected) {
        expect(result.code, where).not.toBe(0);
        expect(result.stderr, where).toMatch(expected);
      } else {
        expect(result.code, where).toBe(0);
      }
    };

    const markdown = ['README.md', ...STEPS.map((s) => `steps/${s.folder}/README.md`)];
    const seen = new Set<string>();
    const last: [Printed, string][] = [];
    let ran = 0;
    const runAll = async (printed: Printed[]) => {
      for (const p of printed) {
        if (MENTIONS.has(p.line) || /\bARGS\b/.test(p.line)) continue;
        const line = await fill(p);
        if (seen.has(line)) continue; // the same command printed twice (a purge twice within 60 s would be refused)
        seen.add(line);
        if (/purge-queue|delete-table|unsubscribe|--no-enabled/.test(line)) last.push([p, line]);
        else {
          await run(p, line);
          ran++;
        }
      }
    };
    await runAll(markdownCommands('README.md'));
    for (const step of STEPS) {
      if (step.number >= 1 && step.number <= 7) {
        const deployed = await runScriptIn(repoRoot, `solution:${step.number}`, env);
        expect(deployed.code, deployed.output).toBe(0);
      }
      await runAll(markdownCommands(`steps/${step.folder}/README.md`));
    }
    await runAll(sourceCommands());
    // The ones that take something away, last: they would spoil the others.
    for (const [p, line] of last) {
      await run(p, line);
      ran++;
    }
    expect(markdown.length).toBe(STEPS.length + 1);
    expect(ran).toBeGreaterThanOrEqual(30);
  }, 300_000);
});

/** An AWS error a command must give, when the resource it names legitimately does not exist. */
function expectedFailure(line: string): RegExp | undefined {
  // No email subscription waits for this token (NOTIFY_EMAIL is not set): SNS refuses it.
  if (line.includes('confirm-subscription')) return /InvalidParameter|NotFound/;
  return undefined;
}

/** `… logs tail GROUP --follow` runs until stopped: run it until it prints, then stop it as Ctrl-C would. */
function runUntilOutput(shell: string, env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve) => {
    // Its own process group, so that the stop reaches the wrapper and the CLI alike, as Ctrl-C does on a terminal;
    // unbuffered, so that the CLI's lines show as they come (Python buffers a pipe).
    const child = spawn('/bin/sh', ['-c', `exec ${shell}`], { cwd: repoRoot, env: { ...env, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      process.kill(-child.pid!, 'SIGINT');
    };
    const deadline = setTimeout(stop, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) stop();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      clearTimeout(deadline);
      // Stopped by us after a line of log: that is how it is meant to end.
      resolve({ code: stopped && stdout.trim() ? 0 : (code ?? 1), stdout, stderr, output: `${stdout}${stderr}` });
    });
  });
}
