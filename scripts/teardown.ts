/**
 * `npm run teardown`: removes what the workbook made — resources named `<prefix>-…` AND tagged
 * workbook=<prefix>, nothing else — in dependency order (a user before what it uses), and
 * idempotently (what is already gone is fine).
 *
 *   npm run teardown -- --dry-run   lists what would be removed, removes nothing
 *   npm run teardown -- --yes       on real AWS, removes without asking
 */
import { createInterface } from 'node:readline/promises';
import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListQueueTagsCommand,
  ListQueuesCommand,
  QueueDoesNotExist,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DeleteRestApiCommand, GetRestApisCommand, NotFoundException, TooManyRequestsException, type APIGatewayClient } from '@aws-sdk/client-api-gateway';
import {
  DeleteFunctionCommand,
  ResourceNotFoundException as FunctionNotFound,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException as LogGroupNotFound,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListRolesCommand,
  NoSuchEntityException,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { apiGatewayClient, dynamoDbClient, iamClient, lambdaClient, logsClient, snsClient, sqsClient, stsClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { ensureTargetAnswers } from '../lib/localCloud.ts';
import { isMainModule, runMain } from '../lib/main.ts';
import { TAG_KEY, workbookPrefix } from '../lib/names.ts';
import { cmd, detail, fail, heading, hint, ok, say } from '../lib/output.ts';
import { retry } from '../lib/wait.ts';
import { eventSourceMappings } from './teardown-mappings.ts';
import { subscriptions } from './teardown-subscriptions.ts';
import { permissions } from './teardown-permissions.ts';
import { rolePolicies } from './teardown-role-policies.ts';
import { tables } from './teardown-tables.ts';
import { topics } from './teardown-topics.ts';
import { ourFunctions } from './teardown-our-functions.ts';

export interface Resource {
  kind: string;
  name: string;
  /** What the delete call takes: a URL, an ARN, an id. */
  id: string;
}

export interface ResourceKind {
  kind: string;
  /** The workbook's resources of this kind, in the order they must go. */
  list(prefix: string): Promise<Resource[]>;
  /** Deletes one; false when it was already gone. */
  remove(resource: Resource): Promise<boolean>;
}

/** Is this resource the workbook's? Its name has our prefix and it carries our tag. */
const ours = (prefix: string, name: string, tags: Record<string, string> | undefined) =>
  name.startsWith(`${prefix}-`) && tags?.[TAG_KEY] === prefix;

function queues(sqs: SQSClient): ResourceKind {
  return {
    kind: 'SQS queue',
    async list(prefix) {
      const found: (Resource & { deadLetterTarget?: string })[] = [];
      let NextToken: string | undefined;
      do {
        const page = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${prefix}-`, MaxResults: 1000, NextToken }));
        for (const url of page.QueueUrls ?? []) {
          const name = url.slice(url.lastIndexOf('/') + 1);
          const described = await describeQueue(sqs, url);
          // On AWS, ListQueues may still list a queue deleted in the last minute.
          if (!described || !ours(prefix, name, described.tags)) continue;
          found.push({ kind: 'SQS queue', name, id: url, deadLetterTarget: described.deadLetterTarget });
        }
        NextToken = page.NextToken;
      } while (NextToken);
      // A queue that dead-letters into another goes before it (the orders queue before its DLQ).
      const deadLetterQueues = new Set(found.map((q) => q.deadLetterTarget).filter(Boolean));
      const sorted = [...found.filter((q) => !deadLetterQueues.has(q.name)), ...found.filter((q) => deadLetterQueues.has(q.name))];
      return sorted.map(({ kind, name, id }) => ({ kind, name, id }));
    },
    async remove(queue) {
      try {
        await sqs.send(new DeleteQueueCommand({ QueueUrl: queue.id }));
        return true;
      } catch (err) {
        if (err instanceof QueueDoesNotExist) return false;
        throw err;
      }
    },
  };
}

/** A queue's tags and the name of its dead-letter queue; undefined when it is gone. */
async function describeQueue(sqs: SQSClient, url: string) {
  try {
    const { Tags } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }));
    const arn = Attributes?.RedrivePolicy
      ? (JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn
      : undefined;
    return { tags: Tags, deadLetterTarget: arn?.slice(arn.lastIndexOf(':') + 1) };
  } catch (err) {
    if (err instanceof QueueDoesNotExist) return undefined;
    throw err;
  }
}

/** The workbook's REST APIs (stages, deployments, resources and methods go with them). */
function restApis(apigw: APIGatewayClient): ResourceKind {
  return {
    kind: 'REST API',
    async list(prefix) {
      const found: Resource[] = [];
      let position: string | undefined;
      do {
        const page = await apigw.send(new GetRestApisCommand({ limit: 500, position }));
        for (const api of page.items ?? []) {
          if (ours(prefix, api.name ?? '', api.tags)) found.push({ kind: 'REST API', name: `${api.name} (${api.id})`, id: api.id! });
        }
        position = page.position;
      } while (position);
      return found;
    },
    async remove(api) {
      try {
        // AWS allows one DeleteRestApi every 30 s per account: wait our turn rather than fail.
        await retry(() => apigw.send(new DeleteRestApiCommand({ restApiId: api.id })), {
          retryable: (err) => err instanceof TooManyRequestsException,
          waitingMessage: 'AWS deletes one REST API every 30 seconds per account. Waiting…',
          deadlineMs: 120_000,
          initialDelayMs: 2_000,
          maxDelayMs: 15_000,
        });
        return true;
      } catch (err) {
        if (err instanceof NotFoundException) return false;
        throw err;
      }
    },
  };
}

/** The workbook's Lambda functions (their permissions go with them). */
function functions(lambda: LambdaClient): ResourceKind {
  return {
    kind: 'Lambda function',
    async list(prefix) {
      const names = await ourFunctions(lambda, prefix);
      return names.map((name): Resource => ({ kind: 'Lambda function', name, id: name }));
    },
    async remove(fn) {
      try {
        await lambda.send(new DeleteFunctionCommand({ FunctionName: fn.id }));
        return true;
      } catch (err) {
        if (err instanceof FunctionNotFound) return false;
        throw err;
      }
    },
  };
}

/** The functions' log groups, /aws/lambda/<prefix>-…: after the functions, which would write to them. */
function logGroups(logs: CloudWatchLogsClient): ResourceKind {
  const lambdaGroups = '/aws/lambda/';
  return {
    kind: 'log group',
    async list(prefix) {
      const found: Resource[] = [];
      let nextToken: string | undefined;
      do {
        const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `${lambdaGroups}${prefix}-`, nextToken }));
        for (const group of page.logGroups ?? []) {
          const name = group.logGroupName!;
          const arn = group.logGroupArn ?? group.arn!.replace(/:\*$/, '');
          const tags = await logs.send(new ListTagsForResourceCommand({ resourceArn: arn })).then(
            (out) => out.tags,
            (err) => (err instanceof LogGroupNotFound ? undefined : Promise.reject(err)),
          );
          if (ours(prefix, name.slice(lambdaGroups.length), tags)) found.push({ kind: 'log group', name, id: name });
        }
        nextToken = page.nextToken;
      } while (nextToken);
      return found;
    },
    async remove(group) {
      try {
        await logs.send(new DeleteLogGroupCommand({ logGroupName: group.id }));
        return true;
      } catch (err) {
        if (err instanceof LogGroupNotFound) return false;
        throw err;
      }
    },
  };
}

/** The workbook's IAM roles, with their inline policies and attachments (IAM refuses to delete a role that has any). */
function roles(iam: IAMClient): ResourceKind {
  return {
    kind: 'IAM role',
    async list(prefix) {
      const found: Resource[] = [];
      let Marker: string | undefined;
      do {
        const page = await iam.send(new ListRolesCommand({ Marker }));
        for (const role of page.Roles ?? []) {
          if (!role.RoleName?.startsWith(`${prefix}-`)) continue;
          const tags = await iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName })).then(
            (out) => Object.fromEntries((out.Tags ?? []).map((tag) => [tag.Key!, tag.Value!])),
            (err) => (err instanceof NoSuchEntityException ? undefined : Promise.reject(err)),
          );
          if (ours(prefix, role.RoleName, tags)) found.push({ kind: 'IAM role', name: role.RoleName, id: role.RoleName });
        }
        Marker = page.IsTruncated ? page.Marker : undefined;
      } while (Marker);
      return found;
    },
    async remove(role) {
      try {
        const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: role.id }));
        for (const PolicyName of PolicyNames) await iam.send(new DeleteRolePolicyCommand({ RoleName: role.id, PolicyName }));
        const { AttachedPolicies = [] } = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role.id }));
        for (const { PolicyArn } of AttachedPolicies) await iam.send(new DetachRolePolicyCommand({ RoleName: role.id, PolicyArn }));
        await iam.send(new DeleteRoleCommand({ RoleName: role.id }));
        return true;
      } catch (err) {
        if (err instanceof NoSuchEntityException) return false;
        throw err;
      }
    },
  };
}

/**
 * Every kind of resource, in the order teardown removes them: whatever uses something goes
 * first: SNS subscriptions, event source mappings, the REST API, the functions' permissions,
 * the functions, their log groups, the roles' policies, the roles, the topic, the table, the
 * queues (a queue before its dead-letter queue). The table and the queues depend on nothing.
 */
function resourceKinds(): ResourceKind[] {
  return [
    subscriptions(snsClient()),
    eventSourceMappings(lambdaClient()),
    restApis(apiGatewayClient()),
    permissions(lambdaClient()),
    functions(lambdaClient()),
    logGroups(logsClient()),
    rolePolicies(iamClient()),
    roles(iamClient()),
    topics(snsClient()),
    tables(dynamoDbClient()),
    queues(sqsClient()),
  ];
}

export interface PlannedResource extends Resource {
  remove(): Promise<boolean>;
}

/** What teardown would remove, in order. */
export async function planTeardown(): Promise<PlannedResource[]> {
  const prefix = workbookPrefix();
  const plan: PlannedResource[] = [];
  for (const kind of resourceKinds()) {
    for (const resource of await kind.list(prefix)) plan.push({ ...resource, remove: () => kind.remove(resource) });
  }
  return plan;
}

export async function teardown(options: { dryRun?: boolean; yes?: boolean } = {}): Promise<number> {
  const target = resolveTarget();
  const prefix = workbookPrefix();
  heading(`Teardown: resources named ${prefix}-… and tagged ${TAG_KEY}=${prefix}, on ${target.label}`);
  const plan = await planTeardown();
  if (plan.length === 0) {
    ok('Nothing to remove: the workbook has nothing left here.');
    return 0;
  }
  const width = Math.max(...plan.map((r) => r.kind.length));
  for (const resource of plan) detail(`${resource.kind.padEnd(width)}  ${resource.name}`);

  if (options.dryRun) {
    say(`\nDry run: nothing removed. ${cmd('npm run teardown')} removes these ${plan.length}.`);
    return 0;
  }
  if (target.realAws && !options.yes && !(await confirm(plan.length, target.region))) return 1;

  let removed = 0;
  for (const resource of plan) {
    if (await resource.remove()) {
      removed++;
      ok(`removed ${resource.kind} ${resource.name}`);
    } else ok(`${resource.kind} ${resource.name} was already gone`);
  }
  say(`\nRemoved ${removed} resource${removed === 1 ? '' : 's'}.`);
  return 0;
}

/** On real AWS, deleting needs a yes: typed at a terminal, or --yes. */
async function confirm(count: number, region: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    fail('Refusing to delete resources on real AWS without confirmation (there is no terminal to ask).');
    hint(`run ${cmd('npm run teardown -- --yes')} to delete them, or ${cmd('npm run teardown -- --dry-run')} to list them.`);
    return false;
  }
  const { Account } = await stsClient().send(new GetCallerIdentityCommand({}));
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`Delete these ${count} resources from AWS account ${Account} in ${region}? [y/N] `);
    if (/^y(es)?$/i.test(answer.trim())) return true;
    say('Nothing removed.');
    return false;
  } finally {
    rl.close();
  }
}

if (isMainModule(import.meta.url)) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--dry-run' && a !== '--yes');
  void runMain(async () => {
    if (unknown.length) {
      fail(`Unknown option ${unknown.join(' ')}.`);
      hint(`use ${cmd('npm run teardown -- --dry-run')} or ${cmd('npm run teardown -- --yes')}.`);
      return 2;
    }
    await ensureTargetAnswers();
    return teardown({ dryRun: args.includes('--dry-run'), yes: args.includes('--yes') });
  });
}
