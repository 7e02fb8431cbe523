import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIGatewayClient, GetRestApisCommand, GetStageCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRoleCommand, IAMClient, ListRolePoliciesCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, GetFunctionEventInvokeConfigCommand, GetPolicyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSubscriptionAttributesCommand, GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DEFAULT_LOCAL_CLOUD_PORT, resolveTarget } from '../../lib/config.ts';
import { BUNDLE_FILE, HANDLER } from '../../lib/lambda.ts';
import { PROBES } from '../../checks/step-8.ts';
import { DEAD_LETTER_DEADLINE_MS } from '../../checks/poison-probe.ts';
import { names, TAG_KEY, workbookPrefix } from '../../lib/names.ts';
import { EVENT_KEY, ORDER_ID, TIME_BUCKET, TIME_BUCKET_SHARDS, TIME_INDEX, eventKeyOf, timeBucketOf } from '../../lib/order-events.ts';
import { MONITOR_TIMEOUT_SECONDS, VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT } from '../../lib/pipeline.ts';
import { STEPS } from '../../lib/steps.ts';
import { CODE_URL_LIFETIME_SECONDS } from '../../local-cloud/control/code-url.ts';
import { CONTROL_TOKEN_FILE, CONTROL_TOKEN_HEADER } from '../../local-cloud/control/token.ts';
import { skewMinutes } from '../../local-cloud/core/auth/request-time.ts';
import { DEFAULT_RETRY_DELAYS_MS } from '../../local-cloud/lambda/async/queue.ts';
import { DEFAULT_OPTIONS as BENCH_DEFAULTS } from '../../scripts/bench/options.ts';
import { LIMITS } from '../../solutions/02-intake-lambda/order.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { aimAt } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';
import { repoRoot } from './support.ts';

/**
 * Every claim a README makes that code can settle is settled here: the value is read from the
 * code (an imported constant, or the deployed solution read back with the SDK) and the README
 * must state that same value, so a README that drifts from the code fails. Claims tested
 * elsewhere are named in a comment where they belong.
 */

const LESSONS = STEPS.map((s) => `steps/${s.folder}/README.md`);
const READMES = ['README.md', 'local-cloud/README.md', ...LESSONS];
const read = (file: string): string => readFileSync(join(repoRoot, file), 'utf8');
/** A README's text with line breaks and runs of spaces as one space: claims wrap across lines. */
const flat = (file: string): string => read(file).replace(/\s+/g, ' ');
const lesson = (step: number): string => flat(`steps/${STEPS[step].folder}/README.md`);
/** The one match of `pattern` in `text`, its groups as numbers or strings; fails when absent. */
function claim(text: string, pattern: RegExp): string[] {
  const found = pattern.exec(text);
  expect(found, `the README no longer says ${pattern}`).not.toBeNull();
  return found!.slice(1);
}
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

/** The source of every TypeScript file under these folders, for claims about what the code says. */
function sourceOf(...folders: string[]): string {
  const texts: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(join(repoRoot, folder))) {
      const path = join(folder, entry);
      if (entry === 'node_modules') continue;
      if (statSync(join(repoRoot, path)).isDirectory()) walk(path);
      else if (entry.endsWith('.ts')) texts.push(read(path));
    }
  };
  folders.forEach(walk);
  return texts.join('\n');
}

describe('every README: the commands and files it names exist', () => {
  it('every `npm run X` (and npm start / npm test) in every README is a script in package.json', () => {
    let seen = 0;
    for (const file of READMES) {
      for (const [, name] of read(file).matchAll(/npm run(?: -s)? ([\w:-]+)/g)) {
        const expanded = /[:-]N$/.test(name) ? STEPS.map((s) => name.replace(/N$/, String(s.number))) : [name];
        for (const script of expanded) expect(packageJson.scripts[script], `${file}: npm run ${script}`).toBeDefined();
        seen++;
      }
      if (/\bnpm start\b/.test(read(file))) expect(packageJson.scripts.start, `${file}: npm start`).toBe(packageJson.scripts.tour);
      if (/\bnpm test\b/.test(read(file))) expect(packageJson.scripts.test, `${file}: npm test`).toBe('vitest run');
    }
    expect(seen).toBeGreaterThan(100);
  });

  it('README.md: `npm run hint N`, `watch N`, `reset N` and `step:N`, `check:step-N`, `solution:N` exist for every step', () => {
    for (const name of ['hint', 'watch', 'reset', 'aws', 'status', 'report', 'teardown', 'local', 'tour', 'bench', 'redrive', 'typecheck']) {
      expect(packageJson.scripts[name], name).toBeDefined();
    }
    for (const step of STEPS) {
      for (const name of [`step:${step.number}`, `check:step-${step.number}`, `solution:${step.number}`]) expect(packageJson.scripts[name], name).toBeDefined();
    }
  });

  it('every repository path in backticks exists (from the root, or from the README\'s own folder)', () => {
    /** Made at run time (state, logs, backups), or placeholders: the claims about them are tested below. */
    const runtime = /^(?:\.workbook\/|DATA\/|steps\/NN-name\/|N\/M$|index\.mjs$|handler\.mjs$|application\/json$|text\/plain$|answer\.json$)/;
    let checked = 0;
    for (const file of READMES) {
      // Paragraphs and table rows: a bare file name beside a folder lives in it (local-cloud/README.md: `core/` … `faults.ts`).
      for (const line of read(file).split(/\n(?=\||\s*\n)/)) {
        const folders = [...line.matchAll(/`((?:[\w.-]+\/)+)`/g)].map((m) => m[1]);
        for (const [, span] of line.matchAll(/`([^`\n]+)`/g)) {
          for (const token of span.split(/[\s(),]+/)) {
            const pathLike = /^(?:[\w.-]+\/)*[\w.-]+\.(?:ts|md|json|mjs)$/.test(token) || /^\.?(?:[\w-]+\/)+[\w.-]*$/.test(token);
            if (!pathLike || runtime.test(token) || /^https?:|^\//.test(token)) continue;
            const bases = [repoRoot, join(repoRoot, dirname(file)), ...folders.map((f) => join(repoRoot, dirname(file), f))];
            expect(bases.some((base) => existsSync(join(base, token))), `${file}: \`${token}\` does not exist`).toBe(true);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it('the run-time paths the READMEs name are the ones the code uses', () => {
    const code = sourceOf('lib', 'scripts', 'local-cloud');
    // README.md: hints, backups, bench results; step 0: the background cloud's log; step 4: the outbox.
    expect(flat('README.md')).toContain('kept in `.workbook/hints.json`');
    expect(code).toContain("join(repoRoot, '.workbook', 'hints.json')");
    expect(flat('README.md')).toContain('`.workbook/backups/NN-name-TIME/`');
    expect(code).toContain("join(repoRoot, '.workbook', 'backups', `${step.folder}-${stamp}`)");
    expect(flat('README.md')).toContain('writes the same to `.workbook/bench.json` (`--json FILE`)');
    expect(BENCH_DEFAULTS.jsonFile).toBe('.workbook/bench.json');
    expect(lesson(0)).toContain('go to `.workbook/local-cloud.log`; the calls it answers are not logged there');
    expect(code).toMatch(/`\$\{dataDir\}\.log`|local-cloud\.log/);
    // Started in the background, it is quiet: only `npm run local` in the foreground prints every call.
    expect(code).toContain("join(repoRoot, 'local-cloud', 'main.ts'), '--quiet']");
    expect(code).toContain("if (!quiet) local.cloud.events.on('event'");
    expect(lesson(4)).toContain('.workbook/local-cloud/outbox/workbook-order-updates/');
    expect(code).toContain("join(cloud.store.dir, 'outbox')");
  });

  it('every UPPER_SNAKE name in backticks (environment variables, constants) is one the code uses', () => {
    const code = sourceOf('lib', 'scripts', 'checks', 'local-cloud', 'solutions');
    /** AWS's own words and the lessons' placeholders, not names of the code. */
    const notOurs = new Set(['KEYS_ONLY', 'DLQ_URL', 'ORDERS_QUEUE_URL', 'QUEUE_ARN', 'FUNCTION_ARN', 'API_ID', 'AWS_ENDPOINT_URL_SQS', 'AWS_IAM', 'QUEUE_URL_OF_workbook', 'ORDERS_QUEUE_ARN']);
    let checked = 0;
    for (const file of READMES) {
      for (const [, span] of read(file).matchAll(/`([^`]+)`/g)) {
        for (const [name] of span.matchAll(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b/g)) {
          if (notOurs.has(name)) continue;
          expect(code.includes(name), `${file} names ${name}, which no code uses`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});

describe('README.md', () => {
  it('the .env block shows the defaults the code uses: target local, prefix workbook, port 4566, data .workbook/local-cloud', () => {
    const text = read('README.md');
    const block = claim(text, /```bash\n(WORKBOOK_TARGET=[\s\S]*?)```/)[0];
    const [target] = claim(block, /WORKBOOK_TARGET=(\w+)\s+# local \(default\)/);
    const [prefix] = claim(block, /WORKBOOK_PREFIX=([\w-]+)/);
    const [port] = claim(block, /LOCAL_CLOUD_PORT=(\d+)/);
    const [data] = claim(block, /LOCAL_CLOUD_DATA=(\S+)/);
    const saved = process.env.WORKBOOK_PREFIX;
    delete process.env.WORKBOOK_PREFIX;
    try {
      expect(workbookPrefix()).toBe(prefix);
    } finally {
      if (saved !== undefined) process.env.WORKBOOK_PREFIX = saved;
    }
    const fresh = resolveTarget({});
    expect(fresh.kind).toBe(target);
    expect(fresh.localCloud).toEqual({ port: Number(port), dataDir: join(repoRoot, data) });
    expect(DEFAULT_LOCAL_CLOUD_PORT).toBe(Number(port));
    expect(fresh.credentials).toEqual({ accessKeyId: 'test', secretAccessKey: 'test' });
    expect(flat('README.md')).toContain("It accepts the account's key pair, `test` / `test`");
    expect(flat('README.md')).toContain(`an AWS-compatible endpoint on \`http://127.0.0.1:${port}\``);
    expect(flat('README.md')).toContain(`It keeps its state in \`${data}/\``);
  });

  it('resources are tagged `workbook=<prefix>`: the tag key is the code\'s TAG_KEY', () => {
    expect(claim(flat('README.md'), /named <prefix>-… and tagged (\w+)=<prefix>/)[0]).toBe(TAG_KEY);
    expect(claim(flat('README.md'), /the workbook's tag \(`(\w+)=<prefix>`\)/)[0]).toBe(TAG_KEY);
  });

  it('the bench command\'s flags are its defaults, as the README says', () => {
    const [rate, seconds, warmup, concurrency] = claim(flat('README.md'), /`npm run bench -- --rate (\d+) --seconds (\d+) --warmup (\d+) --concurrency (\d+)`, the defaults/);
    expect([BENCH_DEFAULTS.rate, BENCH_DEFAULTS.seconds, BENCH_DEFAULTS.warmupSeconds, BENCH_DEFAULTS.concurrency]).toEqual([rate, seconds, warmup, concurrency].map(Number));
    expect(flat('README.md')).toContain(`at most \`--concurrency\` open at once`);
    expect(flat('README.md')).toContain(`held back by the ${BENCH_DEFAULTS.concurrency}-open bound`);
  });

  it('the flags the command tables name are ones their scripts take', () => {
    const text = flat('README.md');
    const takes = (script: string, flag: string) => expect(read(script), `${script} ${flag}`).toContain(`'${flag}`);
    expect(text).toContain('`npm run status -- --deep`');
    takes('scripts/status.ts', '--deep');
    expect(text).toMatch(/`npm run report` \| the per-stage latency report from the table: the last 24 hours, or `--since 90m`, or `--from ISO --to ISO`/);
    for (const flag of ['--since', '--from', '--to']) expect(read('scripts/report.ts')).toContain(flag);
    expect(read('scripts/report.ts')).toContain("const DEFAULT_SINCE = '24h';");
    expect(text).toMatch(/`npm run teardown` \| removes everything the workbook made \(`--dry-run` lists it; on real AWS it asks unless `--yes`\)/);
    for (const flag of ['--dry-run', '--yes']) expect(read('scripts/teardown.ts')).toContain(flag);
    expect(text).toContain('`npm run hint N -- --next`');
    expect(text).toContain('`-- --all` every hint of the step');
    for (const flag of ['--next', '--all']) expect(read('scripts/hint.ts')).toContain(flag);
    expect(text).toContain('`-- --dry-run` only lists what it would do, `-- --from REV`');
    for (const flag of ['--dry-run', '--from']) expect(read('scripts/reset.ts')).toContain(flag);
    expect(text).toContain('`WORKBOOK_AWS_CLI=/path/to/aws`');
    expect(sourceOf('lib', 'scripts')).toContain('WORKBOOK_AWS_CLI');
  });

  it('signatures within 15 minutes of the clock (5 for Lambda and API Gateway): README.md and local-cloud/README.md say what the cloud enforces', () => {
    const [most, fewer] = claim(flat('README.md'), /the computer's clock is off by more than (\d+) minutes \((\d+) for Lambda and API Gateway\)/);
    const [most2, fewer2] = claim(flat('local-cloud/README.md'), /within (\d+) minutes of the cloud's clock \((\d+) for Lambda and API Gateway\)/);
    for (const service of ['sqs', 'sns', 'dynamodb', 'iam', 'sts', 'logs']) expect(skewMinutes(service)).toBe(Number(most));
    for (const service of ['lambda', 'apigateway']) expect(skewMinutes(service)).toBe(Number(fewer));
    expect([most2, fewer2]).toEqual([most, fewer]);
  });

  it('the troubleshooting table quotes messages the code really prints', () => {
    const text = flat('README.md');
    const code = sourceOf('lib', 'scripts', 'local-cloud', 'checks', 'solutions');
    /** The README's quote, and what in the code prints it. */
    const rows: [string, RegExp][] = [
      ['`There is a blank to fill in at steps/…:LINE`', /There is a blank to fill in at \$\{where\}/],
      ['`Port 4566 is in use`', /`Port \$\{port\} is in use\./],
      ['`Another local cloud (pid N) is already using …`', /Another local cloud \(pid \$\{[^}]+\}\) is already using/],
      ['`A local cloud answers at …, but not the one whose data is in …`', /A local cloud answers at \$\{[^}]+\}, but not the one whose data is in/],
      ['`The security token included in the request is invalid.`', /The security token included in the request is invalid\./],
      ['saying `takes no session token`', /takes no session token/],
      ['`The request signature we calculated does not match …`', /The request signature we calculated does not match/],
      ['`Signature expired: … is now earlier than …`', /Signature expired: \$\{[^}]+\} is now earlier than/],
      ['`Signature not yet current`', /Signature not yet current/],
      ["`Credential should be scoped to a valid region, not '…'`", /Credential should be scoped to a valid region, not '\$\{/],
      ['`Missing Authentication Token`', /Missing Authentication Token/],
      ['`Cross-site requests to the local cloud are refused`', /Cross-site requests to the local cloud are refused/],
      ['`answers only to loopback names`', /answers only to loopback names/],
      ['`The role defined for the function cannot be assumed by Lambda.`', /The role defined for the function cannot be assumed by Lambda\./],
      ['(*Lambda cannot assume … yet … Retrying…*)', /Lambda cannot assume [^`]* yet[^`]*Retrying/],
      ['`… An update is in progress for resource: …`', /An update is in progress for resource: \$\{/],
      ['(*… is busy with another change …*)', /is busy with another change/],
      ['`The provided execution role does not have permissions to call ReceiveMessage on SQS`', /The provided execution role does not have permissions to call \$\{call\} on SQS/],
      ['`API Gateway takes one deployment every 5 seconds per account`', /API Gateway takes one deployment every 5 seconds per account/],
      ["`There is already a … named …, and it is not this workbook's`", /There is already a \$\{[^}]+\} named \$\{[^}]+\}, and it is not this workbook's/],
    ];
    for (const [quote, printed] of rows) {
      expect(text, quote).toContain(quote);
      expect(code, `${quote}: ${printed}`).toMatch(printed);
    }
    // The Pending state, in AWS's words, from the local cloud's realism profile.
    expect(text).toContain('`… The function is currently in the following state: Pending`');
    expect(code).toContain('The function is currently in the following state: ${state}');
  });
});

describe('local-cloud/README.md', () => {
  it('the control token: header, file, 401 without it, 403 with a wrong one', () => {
    const text = flat('local-cloud/README.md');
    expect(claim(text, /Send it as `([\w-]+): TOKEN`/)[0]).toBe(CONTROL_TOKEN_HEADER);
    expect(claim(text, /written to `DATA\/([\w-]+)`/)[0]).toBe(CONTROL_TOKEN_FILE);
    expect(flat('README.md')).toContain(`the token in \`DATA/${CONTROL_TOKEN_FILE}\` (header \`${CONTROL_TOKEN_HEADER}\`)`);
    expect(text).toContain('without it the answer is 401, with a wrong one 403');
    // The answers themselves: test/local-cloud/server.test.ts and browser-attacks.test.ts.
  });

  it('function code URLs expire after ten minutes', () => {
    expect(flat('local-cloud/README.md')).toContain('served from a signed URL that expires after ten minutes');
    expect(CODE_URL_LIFETIME_SECONDS).toBe(10 * 60);
  });

  it('the service folders in its table are the folders of local-cloud/, each with the README it promises', () => {
    const text = read('local-cloud/README.md');
    const table = [...text.matchAll(/^\| `(\w+)\/` \|/gm)].map((m) => m[1]);
    expect(table.length).toBeGreaterThanOrEqual(9);
    for (const folder of table) expect(statSync(join(repoRoot, 'local-cloud', folder)).isDirectory(), folder).toBe(true);
    const promised = claim(flat('local-cloud/README.md'), /has a README of its own: ([^.]+)\./)[0];
    const withReadme = [...promised.matchAll(/`(\w+)\/`/g)].map((m) => m[1]);
    expect(withReadme).toEqual(['iam', 'lambda', 'logs', 'sns', 'realism']);
    for (const folder of withReadme) expect(existsSync(join(repoRoot, 'local-cloud', folder, 'README.md')), folder).toBe(true);
  });

  it('the realism profile is switched on by LOCAL_CLOUD_REALISM=aws or --realism aws', () => {
    expect(flat('local-cloud/README.md')).toContain('(`LOCAL_CLOUD_REALISM=aws`, `--realism aws`)');
    const code = sourceOf('local-cloud');
    expect(code).toContain('LOCAL_CLOUD_REALISM');
    expect(code).toMatch(/['"`]--realism\b/);
  });
});

describe('the lessons, against a local cloud with solutions 1–7 deployed', () => {
  let cloud: TestCloud;
  let stepOutputs: Record<number, string>;
  const email = 'owner@example.com';
  beforeAll(async () => {
    cloud = await startTestCloud();
    aimAt(cloud);
    stepOutputs = {};
    for (const step of [1, 2, 3, 4, 5, 6, 7]) {
      if (step === 4) process.env.NOTIFY_EMAIL = email;
      try {
        stepOutputs[step] = await deploySolution(step);
      } finally {
        delete process.env.NOTIFY_EMAIL;
      }
    }
  }, 60_000);
  afterAll(() => cloud?.close());

  const n = () => names();
  const queueAttributes = async (name: string) => {
    const sqs = new SQSClient(cloud.clientConfig);
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes!;
  };
  const functionConfig = (name: string) => new LambdaClient(cloud.clientConfig).send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  const logRetention = async (group: string) =>
    (await new CloudWatchLogsClient(cloud.clientConfig).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }))).logGroups!.find((g) => g.logGroupName === group)!.retentionInDays;
  const inlinePolicies = async (role: string) => {
    const iam = new IAMClient(cloud.clientConfig);
    await iam.send(new GetRoleCommand({ RoleName: role }));
    const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: role }));
    const documents = await Promise.all(
      PolicyNames.map(async (PolicyName) => JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName }))).PolicyDocument!))),
    );
    return { names: PolicyNames, statements: documents.flatMap((d: { Statement: { Sid?: string; Action: string | string[] }[] }) => d.Statement) };
  };
  const permissionSids = async (fn: string) =>
    (JSON.parse((await new LambdaClient(cloud.clientConfig).send(new GetPolicyCommand({ FunctionName: fn }))).Policy!) as { Statement: { Sid: string }[] }).Statement.map((s) => s.Sid);

  it('step 0: account 000000000000 and region us-east-1 by default', async () => {
    const text = lesson(0);
    const [account] = claim(text, /Account `(\d{12})`/);
    expect((await new STSClient(cloud.clientConfig).send(new GetCallerIdentityCommand({}))).Account).toBe(account);
    const [region] = claim(text, /\| \*\*local cloud\*\* \(default\) \| [^|]+\| [^|]+\| `AWS_REGION`, else `([\w-]+)` \|/);
    expect(resolveTarget({}).region).toBe(region);
    expect(claim(text, /on `127\.0\.0\.1:(\d+)`/)[0]).toBe(String(DEFAULT_LOCAL_CLOUD_PORT));
    expect(claim(text, /# LOCAL_CLOUD_PORT=\d+ +# the local cloud's port \(default (\d+)\)/)[0]).toBe(String(DEFAULT_LOCAL_CLOUD_PORT));
    expect(claim(text, /names start with this \(default "([\w-]+)"\)/)[0]).toBe('workbook');
  });

  it('step 1 and README.md: visibility timeout 60 s (6 × the monitor\'s 10 s), long polling 20 s, maxReceiveCount 5, retention 4 and 14 days', async () => {
    const orders = await queueAttributes(n().ordersQueue);
    const dlq = await queueAttributes(n().deadLetterQueue);
    const text = lesson(1);
    expect(Number(claim(text, /\*\*`VisibilityTimeout` = (\d+) s\.\*\*/)[0])).toBe(Number(orders.VisibilityTimeout));
    expect(claim(text, /advises \*\*(\w+) times\*\* the function timeout/)[0]).toBe(['', '', '', '', '', '', 'six'][VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT]);
    expect(Number(claim(text, /The monitor's timeout \((\d+) s\) lives in `lib\/pipeline\.ts`/)[0])).toBe(MONITOR_TIMEOUT_SECONDS);
    expect(Number(orders.VisibilityTimeout)).toBe(VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT * MONITOR_TIMEOUT_SECONDS);
    expect(claim(text, /\*\*`ReceiveMessageWaitTimeSeconds` = (\d+) \(long polling\)\.\*\*/)[0]).toBe(orders.ReceiveMessageWaitTimeSeconds);
    const maxReceiveCount = (JSON.parse(orders.RedrivePolicy!) as { maxReceiveCount: number }).maxReceiveCount;
    expect(Number(claim(text, /\*\*`maxReceiveCount` = (\d+)\.\*\*/)[0])).toBe(maxReceiveCount);
    const [ordersDays, dlqDays] = claim(text, /\*\*Retention: orders (\d+) days, dead letters (\d+) days\.\*\*/).map(Number);
    expect(ordersDays * 86_400).toBe(Number(orders.MessageRetentionPeriod));
    expect(dlqDays * 86_400).toBe(Number(dlq.MessageRetentionPeriod));
    expect(dlqDays * 86_400).toBe(1_209_600); // "14 days is the maximum"
    expect(text).toContain(`\`maxReceiveCount: MAX_RECEIVE_COUNT\` (${maxReceiveCount})`);
    expect(text).toContain(`\`VisibilityTimeout: String(VISIBILITY_TIMEOUT)\` (${VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT} × ${MONITOR_TIMEOUT_SECONDS} s)`);
    // The other lessons repeat them.
    expect(lesson(5)).toContain(`(6 × ${MONITOR_TIMEOUT_SECONDS} s = ${orders.VisibilityTimeout} s)`);
    expect(lesson(5)).toContain(`Step 1's \`VisibilityTimeout\` (${orders.VisibilityTimeout} s) must cover the function's ${MONITOR_TIMEOUT_SECONDS} s`);
    expect(lesson(5)).toContain(`The monitor fails it five times, one visibility timeout (${orders.VisibilityTimeout} s) apart`);
    expect(lesson(5)).toContain(`after ${maxReceiveCount} failed receives (\`maxReceiveCount\`)`);
    expect(lesson(8)).toContain(`the queue's **visibility timeout (${orders.VisibilityTimeout} s)**`);
    expect(lesson(8)).toContain(`At the next receive after the fifth (\`maxReceiveCount\`, step 1)`);
    expect(lesson(8)).toContain(`fail it ${maxReceiveCount} times (\`maxReceiveCount\`)`);
    expect(lesson(8)).toContain(`(for its retention period, ${dlqDays} days in step 1)`);
    expect(lesson(0)).toContain('redrive after exactly `maxReceiveCount` receives');
    // The check's accepted range (checks/step-1.ts), as the lesson states it.
    const [low, high] = claim(text, /with a `maxReceiveCount` from (\d+) to (\d+)/);
    expect(read('checks/step-1.ts')).toContain(`const MAX_RECEIVE_COUNT = { min: ${low}, max: ${high}, lesson: ${maxReceiveCount} };`);
    expect(Number(low)).toBe(maxReceiveCount);
  });

  it('step 2: intake role, policy, log group (14 days), nodejs22.x, index.handler, 5 s, 256 MB, QUEUE_URL, a small zip; the body limit 16 KB', async () => {
    const text = lesson(2);
    const intake = await functionConfig(n().intakeFunction);
    expect(text).toContain(`runtime \`${intake.Runtime}\`, handler \`${intake.Handler}\`, **${intake.Timeout} s timeout**`);
    expect(text).toContain(`**${intake.MemorySize} MB**`);
    expect(Object.keys(intake.Environment!.Variables!)).toEqual([claim(text, /one environment variable, \*\*`(\w+)`\*\*/)[0]]);
    expect(HANDLER).toBe('index.handler');
    expect(text).toContain(`\`${BUNDLE_FILE}\`, and zipped in memory`);
    const [kb] = claim(text, /the zip stays small \(about (\d+) KB\)/).map(Number);
    expect(intake.CodeSize! / 1024).toBeGreaterThan(kb / 2);
    expect(intake.CodeSize! / 1024).toBeLessThan(kb * 2);
    expect(text).toContain(`**An execution role**, \`${n().intakeRole}\``);
    const policies = await inlinePolicies(n().intakeRole);
    expect(policies.names).toEqual([claim(text, /An \*\*inline policy\*\*, `([\w-]+)`/)[0]]);
    expect(policies.statements).toMatchObject([{ Action: 'sqs:SendMessage' }]);
    expect(text).toContain(`**A log group**, \`${n().intakeLogGroup}\``);
    expect(await logRetention(n().intakeLogGroup)).toBe(Number(claim(text, /logs are kept (\d+) days/)[0]));
    expect(LIMITS.maxBodyBytes).toBe(Number(claim(text, /body over (\d+) KB \(`LIMITS\.maxBodyBytes`\)/)[0]) * 1024);
    // The order's limits (1–64 characters, 1–50 items, quantity 1–1000, note 500): test/workbook/orders-fuzz.test.ts.
  });

  it('step 3 and README.md: REGIONAL API, stage v1 throttled to 5 a second (bursts of 10), the permission\'s statement id; the cost arithmetic', async () => {
    const apigw = new APIGatewayClient(cloud.clientConfig);
    const api = (await apigw.send(new GetRestApisCommand({}))).items!.find((a) => a.name === n().api)!;
    const text = lesson(3);
    expect(text).toContain(`**The API**, \`${api.name}\`, \`${api.endpointConfiguration!.types![0]}\``);
    const [stageName] = claim(text, /\*\*The deployment into stage `(\w+)`\*\*/);
    expect(stageName).toBe(n().apiStage);
    const stage = await apigw.send(new GetStageCommand({ restApiId: api.id, stageName }));
    const { throttlingRateLimit: rate, throttlingBurstLimit: burst } = stage.methodSettings!['*/*'];
    expect(claim(text, /a steady (\d+) requests a second, bursts of (\d+)/).map(Number)).toEqual([rate, burst]);
    expect(claim(flat('README.md'), /throttled to (\d+) requests a second \(bursts of (\d+)\)/).map(Number)).toEqual([rate, burst]);
    expect(claim(flat('README.md'), /the stage's throttle \((\d+) a second, bursts of (\d+), step 3\)/).map(Number)).toEqual([rate, burst]);
    expect(Number(claim(flat('README.md'), /step 3 keeps it at (\d+) requests\/s/)[0])).toBe(rate);
    expect(Number(claim(lesson(8), /at a steady \*\*(\d+) a second\*\* — the stage's throttling/)[0])).toBe(rate);
    await expect(permissionSids(n().intakeFunction)).resolves.toEqual([claim(text, /the permission's statement id \(`([\w-]+)`\)/)[0]]);
    // The worst case: good orders at the stage's rate all day, at the table's price per million.
    const perMillion = [...claim(text, /(\| what one order costs[\s\S]*?\*\*total\*\* \| \*\*\$[\d.]+\*\* \|)/)[0].matchAll(/\| \$([\d.]+) \|/g)].map((m) => Number(m[1]));
    const [total] = claim(text, /\*\*total\*\* \| \*\*\$([\d.]+)\*\*/).map(Number);
    expect(perMillion).toHaveLength(7);
    expect(perMillion.reduce((a, b) => a + b, 0)).toBeCloseTo(total, 2);
    const [perSecond, perDay, dollars] = claim(text, /At the stage's \*\*(\d+) requests a second\*\*: \d+ × 86,400 s = \*\*([\d,]+) orders a day\*\*, × \$[\d.]+ per million ≈ \*\*\$(\d+) a day\*\*/);
    expect(Number(perSecond)).toBe(rate);
    expect(Number(perDay.replace(/,/g, ''))).toBe(rate! * 86_400);
    expect(Math.round((rate! * 86_400 * total) / 1e6)).toBe(Number(dollars));
    const [orders, perM, day] = claim(flat('README.md'), /about \*\*\$(\d+) a day\*\* across the services \(([\d,]+) orders × about \$([\d.]+) per million/);
    expect([Number(orders), Number(perM.replace(/,/g, '')), Number(day)]).toEqual([Number(dollars), rate! * 86_400, total]);
  });

  it('step 4: topic order-updates with DisplayName "Order updates"; the email subscription\'s filter policy on the message body', async () => {
    const sns = new SNSClient(cloud.clientConfig);
    const text = lesson(4);
    const topicArn = `arn:aws:sns:us-east-1:000000000000:${n().updatesTopic}`;
    expect(text).toContain(`an SNS **topic**, \`${n().updatesTopic}\``);
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    expect(claim(text, /`DisplayName: "([^"]+)"`/)[0]).toBe(Attributes!.DisplayName);
    // Confirm the pending email subscription (the outbox's link), then read its filter policy.
    const link = /curl '(\S+)'/.exec(stepOutputs[4])?.[1];
    expect(link, stepOutputs[4]).toBeDefined();
    expect((await fetch(link!)).status).toBe(200);
    const { Subscriptions = [] } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    const mail = Subscriptions.find((s) => s.Protocol === 'email')!;
    const attributes = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: mail.SubscriptionArn }))).Attributes!;
    expect(claim(text, /\(`FilterPolicyScope` `(\w+)`/)[0]).toBe(attributes.FilterPolicyScope);
    const shown = claim(read(`steps/${STEPS[4].folder}/README.md`), /```json\n\s*(\{ "status"[^\n]+\})\n/)[0];
    expect(JSON.parse(shown)).toEqual(JSON.parse(attributes.FilterPolicy!));
    expect(text).toContain('SNS deletes it after 48 hours'); // AWS's rule; the check's note: test/workbook/step-4.test.ts
  });

  it('step 5: monitor role and its two statements, log group, nodejs22.x, 256 MB, 10 s, TOPIC_ARN', async () => {
    const text = lesson(5);
    const monitor = await functionConfig(n().monitorFunction);
    expect(text).toContain(`**The function**, \`${n().monitorFunction}\`: \`${monitor.Runtime}\`, ${monitor.MemorySize} MB, a **${monitor.Timeout} s timeout**`);
    expect(monitor.Timeout).toBe(MONITOR_TIMEOUT_SECONDS);
    expect(Object.keys(monitor.Environment!.Variables!)).toEqual([claim(text, /one environment variable, \*\*`(\w+)`\*\*/)[0]]);
    const policies = await inlinePolicies(n().monitorRole);
    expect(text).toContain(`**An execution role**, \`${n().monitorRole}\``);
    expect(policies.names).toEqual([claim(text, /one inline policy, `([\w-]+)`/)[0]]);
    const shown = [...read(`steps/${STEPS[5].folder}/README.md`).matchAll(/\{ "Sid": "(\w+)", "Effect": "Allow",\s*"Action": (\[[^\]]+\]|"[^"]+")/g)].map((m) => ({ Sid: m[1], Action: JSON.parse(m[2]) }));
    expect(shown).toHaveLength(2);
    expect(policies.statements.map((s) => ({ Sid: s.Sid, Action: s.Action }))).toEqual(shown);
    expect(text).toContain(`**A log group**, \`${n().monitorLogGroup}\`, with our tag and a ${await logRetention(n().monitorLogGroup)}-day retention`);
    // BatchSize 10, no batching window, ReportBatchItemFailures: test/workbook/mistakes-steps-5-7.test.ts.
  });

  it('step 5: the fastRetry switch the lesson shows is the one the check sends, with the probe attribute', () => {
    const [body] = claim(lesson(5), /`POST \/_localcloud\/faults` with `(\{"fastRetry": [^`]+\})`/);
    const shown = JSON.parse(body) as { fastRetry: { messageAttribute: string; visibilityTimeout: number } };
    expect(shown).toEqual({ fastRetry: { messageAttribute: 'workbook-check-poison-probe', visibilityTimeout: 0 } });
    expect(sourceOf('checks')).toContain(`'${shown.fastRetry.messageAttribute}'`);
    expect(lesson(8)).toContain(`marked with the message attribute \`${shown.fastRetry.messageAttribute}\``);
  });

  it('step 6: table key orderId + eventKey, index by-time (timeBucket + eventKey, ALL), on demand, 4 shards; the key formats', async () => {
    const text = lesson(6);
    const { Table } = await new DynamoDBClient(cloud.clientConfig).send(new DescribeTableCommand({ TableName: n().orderEventsTable }));
    expect(text).toContain(`one DynamoDB table, \`${Table!.TableName}\``);
    const key = Object.fromEntries(Table!.KeySchema!.map((k) => [k.KeyType, k.AttributeName]));
    expect(claim(text, /\*\*Table key: `(\w+)` \(partition, HASH\) \+ `(\w+)` \(sort, RANGE\)\.\*\*/)).toEqual([key.HASH, key.RANGE]);
    expect([key.HASH, key.RANGE]).toEqual([ORDER_ID, EVENT_KEY]);
    const index = Table!.GlobalSecondaryIndexes!.find((i) => i.IndexName === TIME_INDEX)!;
    const indexKey = Object.fromEntries(index.KeySchema!.map((k) => [k.KeyType, k.AttributeName]));
    expect(claim(text, /\*\*Index `([\w-]+)`: `(\w+)` \(HASH\) \+ `(\w+)` \(RANGE\)\.\*\*/)).toEqual([index.IndexName, indexKey.HASH, indexKey.RANGE]);
    expect(indexKey.HASH).toBe(TIME_BUCKET);
    expect(claim(text, /`Projection: (\w+)` copies whole items/)[0]).toBe(index.Projection!.ProjectionType);
    expect(claim(text, /`BillingMode: '(\w+)'`/)[0]).toBe(Table!.BillingModeSummary!.BillingMode);
    expect(Number(claim(text, /`TIME_BUCKET_SHARDS` \((\d+)\)/)[0])).toBe(TIME_BUCKET_SHARDS);
    expect(text).toContain('spreads each hour over four partition keys');
    expect(TIME_BUCKET_SHARDS).toBe(4);
    // The formats the lesson shows: `2025-06-01T14:03:22.080Z#confirmed` and `2025-06-01T14#2`.
    expect(text).toContain(`\`${eventKeyOf('2025-06-01T14:03:22.080Z', 'confirmed')}\``);
    expect(timeBucketOf('2025-06-01T14:03:22.080Z', 'any-order')).toMatch(/^2025-06-01T14#[0-3]$/);
    expect(text).toMatch(/`2025-06-01T14#2`/);
  });

  it('step 7: failures queue (14 days), recorder role and its two policies, 256 MB, 10 s, TABLE_NAME, 2 retries, 6 hours, sns-order-updates', async () => {
    const text = lesson(7);
    const failures = await queueAttributes(n().recorderFailureQueue);
    expect(Number(claim(text, /\*\*A failures queue\*\*, `[\w-]+`, which keeps messages (\d+) days/)[0]) * 86_400).toBe(Number(failures.MessageRetentionPeriod));
    expect(text).toContain(`**A failures queue**, \`${n().recorderFailureQueue}\``);
    const recorder = await functionConfig(n().recorderFunction);
    expect(text).toContain(`**The function**, \`${n().recorderFunction}\`: \`${recorder.Runtime}\`, handler \`${recorder.Handler}\`, ${recorder.MemorySize} MB, ${recorder.Timeout} s timeout`);
    expect(text).toContain(`and \`${Object.keys(recorder.Environment!.Variables!).join('`, `')}\` in its environment`);
    const policies = await inlinePolicies(n().recorderRole);
    expect(text).toContain(`**An execution role**, \`${n().recorderRole}\``);
    expect(policies.statements.map((s) => s.Action).sort()).toEqual(['dynamodb:PutItem', 'sqs:SendMessage']);
    expect(text).toContain(`**A log group**, \`${n().recorderLogGroup}\`, ${await logRetention(n().recorderLogGroup)} days' retention`);
    const invokeConfig = await new LambdaClient(cloud.clientConfig).send(new GetFunctionEventInvokeConfigCommand({ FunctionName: n().recorderFunction }));
    expect(Number(claim(text, /\(`MaximumRetryAttempts: (\d+)`, the most it allows/)[0])).toBe(invokeConfig.MaximumRetryAttempts);
    expect(Number(claim(text, /`MaximumEventAgeInSeconds` \((\d+) hours, the maximum\)/)[0]) * 3600).toBe(invokeConfig.MaximumEventAgeInSeconds);
    expect(await permissionSids(n().recorderFunction)).toEqual([claim(text, /The statement id is fixed \(`([\w-]+)`\)/)[0]]);
    // "the retries come after 1 s and 2 s" on the local cloud.
    expect(claim(text, /the retries come after (\d+) s and (\d+) s instead of AWS's minutes/).map((s) => Number(s) * 1000)).toEqual(DEFAULT_RETRY_DELAYS_MS);
    expect(read(`solutions/${STEPS[7].folder}/handler.ts`)).toContain(claim(text, /`ConditionExpression: '(attribute_not_exists\(\w+\))'`/)[0]);
  });

  it('every function runs nodejs22.x with index.handler, as README.md and steps 0, 2, 5, 7 say', async () => {
    const [runtime] = claim(flat('README.md'), /the workbook's functions run on Lambda's `(nodejs\d+\.x)`/);
    expect(lesson(0)).toContain(`Lambda runs the workbook's functions on \`${runtime}\``);
    for (const fn of [n().intakeFunction, n().monitorFunction, n().recorderFunction]) {
      expect(await functionConfig(fn)).toMatchObject({ Runtime: runtime, Handler: HANDLER });
    }
    for (const step of [2, 5, 7]) expect(lesson(step)).toContain(`\`${runtime}\` with`);
  });
});

describe('the waits the lessons of steps 5–7 describe', () => {
  it('step 5: its check wants batches of at most 10 within at most 5 s', () => {
    const check = read('checks/step-5.ts');
    const [size, window] = claim(lesson(5), /batches at most (\d+) orders within at most (\d+) s/);
    expect(check).toContain(`const MAX_BATCH_SIZE = ${size};`);
    expect(check).toContain(`const MAX_BATCH_WINDOW_SECONDS = ${window};`);
  });

  it('step 6: the table waiter polls 0.1 s apart at first, backing off to 5 s', () => {
    const [min, max] = claim(lesson(6), /`waitUntilTableExists`, which polls `DescribeTable` \(([\d.]+) s apart at first, backing off to (\d+) s\)/);
    expect(read(`solutions/${STEPS[6].folder}/deploy.ts`)).toContain(`waitUntilTableExists({ client: dynamodb, minDelay: ${min}, maxDelay: ${max},`);
  });

  it('step 7: its check queries every 20 ms at first, backing off to 250 ms, for up to 10 s (60 s on AWS)', () => {
    const [first, most, instant, aws] = claim(lesson(7), /a `Query` every (\d+) ms at first, backing off to (\d+) ms, for up to (\d+) s — (\d+) s on AWS/);
    const check = read('checks/step-7.ts');
    expect(check).toContain(`let pause = ${first};`);
    expect(check).toContain(`pause = Math.min(pause * 2, ${most});`);
    expect(check).toContain(`within({ instant: ${instant}_000, emulator: 30_000, aws: ${aws}_000 })`);
  });
});

describe('steps/08-end-to-end/README.md', () => {
  const run = read(`solutions/${STEPS[8].folder}/run.ts`);
  it('20 orders at 5 a second by default, at most four open; WORKBOOK_ORDERS and WORKBOOK_ORDER_RATE', () => {
    const [orders, rate] = claim(run, /const DEFAULTS: EndToEndOptions = \{ orders: (\d+), rate: (\d+),/);
    expect(claim(lesson(8), /\*\*(\d+) orders through the API\*\*/)[0]).toBe(orders);
    expect(claim(lesson(8), /npm run step:8 +# (\d+) orders at (\d+) a second/)).toEqual([orders, rate]);
    expect(claim(read(`solutions/${STEPS[8].folder}/shop.ts`), /const MAX_IN_FLIGHT = (\d+);/)[0]).toBe('4');
    expect(lesson(8)).toContain('at most four open requests');
    for (const name of ['WORKBOOK_ORDERS', 'WORKBOOK_ORDER_RATE']) expect(run).toContain(`env.${name}`);
  });

  it('the records deadline is 15 s after the last order (90 s on AWS), as the lesson says twice', () => {
    const [aws, local] = claim(run, /target\.realAws \? (\d+)_000 : (\d+)_000/);
    expect(claim(lesson(8), /with a \*\*deadline\*\* \((\d+) s after the last order was sent; (\d+) s on AWS/)).toEqual([local, aws]);
    expect(claim(lesson(8), /every 100 ms, for up to (\d+) s; (\d+) s on AWS/)).toEqual([local, aws]);
  });

  it('how often and how long the step and its check look for records; the check sends 5 probes', () => {
    const text = lesson(8);
    // watch.ts and the check share pollIntervalMs: 100 ms here, 1 s on AWS.
    expect(read('lib/end-to-end.ts')).toContain('export const pollIntervalMs = (): number => (resolveTarget().realAws ? 1_000 : 100);');
    expect(text).toContain('one per shard, every 100 ms on the local cloud, every second on AWS');
    const [instant, aws] = claim(read('checks/step-8.ts'), /const recordDeadlineMs = \(\) => within\(\{ instant: (\d+)_000, emulator: \d+_000, aws: (\d+)_000 \}\)/);
    expect(claim(text, /the check polls the table \(every 100 ms, for up to (\d+) s; (\d+) s on AWS\)/)).toEqual([instant, aws]);
    expect(claim(text, /\*\*(\d+) probe orders\*\* sent over HTTP/)[0]).toBe(String(PROBES));
    expect(Number(claim(text, /it must land in the DLQ within (\d+) s/)[0]) * 1000).toBe(DEAD_LETTER_DEADLINE_MS);
    expect(Number(claim(lesson(5), /The check waits for it there \(long polling, for up to (\d+) s\)/)[0]) * 1000).toBe(DEAD_LETTER_DEADLINE_MS);
  });

  it('a redrive is followed with a pause of 50 ms doubling to 1 s (1 s to 10 s on AWS)', () => {
    const redrive = read(`solutions/${STEPS[8].folder}/redrive.ts`);
    const [awsFirst, localFirst] = claim(redrive, /let waitMs = target\.realAws \? ([\d_]+) : (\d+);/);
    const [awsMax, localMax] = claim(redrive, /const maxWaitMs = target\.realAws \? ([\d_]+) : ([\d_]+);/);
    const ms = (v: string) => Number(v.replace(/_/g, ''));
    expect(redrive).toContain('waitMs = Math.min(maxWaitMs, waitMs * 2);');
    expect(lesson(8)).toContain(`(${ms(localFirst)} ms doubling to ${ms(localMax) / 1000} s here, ${ms(awsFirst) / 1000} s to ${ms(awsMax) / 1000} s on AWS)`);
  });

  it('a report covers the last 24 hours by default, at most 31 days; a redrive\'s --rate is 1–500', () => {
    expect(read('scripts/report.ts')).toContain('const MAX_WINDOW_MS = 31 * UNITS.d;');
    expect(lesson(8)).toContain('A window is at most 31 days.');
    expect(lesson(8)).toMatch(/npm run report +# the last 24 hours/);
    expect(read('scripts/report.ts')).toContain("const DEFAULT_SINCE = '24h';");
    expect(lesson(8)).toContain('(MaxNumberOfMessagesPerSecond, 1–500)');
    expect(read(`solutions/${STEPS[8].folder}/redrive.ts`)).toContain('--rate N (1–500)');
  });
});
