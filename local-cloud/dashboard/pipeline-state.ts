import { randomUUID } from 'node:crypto';
import type { Cloud } from '../cloud.ts';
import type { CallContext } from '../core/context.ts';
import { callDynamoDb, DynamoDbCallError } from './table-reader.ts';
import { pipelineNames } from './pipeline-names.ts';

/** One box of the diagram: does it exist, and what it holds right now. */
export interface ResourceState {
  id: 'api' | 'intake' | 'queue' | 'dlq' | 'monitor' | 'topic' | 'recorder' | 'table';
  kind: string;
  name: string;
  exists: boolean;
  /** Short facts for the box: "3 messages", "Active", "stage v1 deployed". */
  facts: string[];
}

/** Every resource of the pipeline, read from the services' state (no API calls, nothing in the live log). */
export async function pipelineState(cloud: Cloud, prefix: string): Promise<{ prefix: string; resources: ResourceState[] }> {
  const n = pipelineNames(prefix);
  const functions = (cloud.lambda.listFunctions(undefined, 10_000).Functions ?? []) as { FunctionName: string; State?: string }[];
  const fn = (id: 'intake' | 'monitor' | 'recorder', name: string): ResourceState => {
    const found = functions.find((f) => f.FunctionName === name);
    return { id, kind: 'Lambda function', name, exists: Boolean(found), facts: found ? [found.State ?? 'Active'] : [] };
  };
  return {
    prefix,
    resources: [
      apiState(cloud, n.api, n.apiStage),
      fn('intake', n.intake),
      queueState(cloud, 'queue', n.queue),
      queueState(cloud, 'dlq', n.dlq),
      fn('monitor', n.monitor),
      topicState(cloud, n.topic),
      fn('recorder', n.recorder),
      await tableState(cloud, n.table),
    ],
  };
}

function apiState(cloud: Cloud, name: string, stage: string): ResourceState {
  const api = cloud.apigateway.getRestApis().find((a) => a.name === name);
  const deployed = api ? cloud.apigateway.deployedStage(api.id, stage) !== undefined : false;
  return {
    id: 'api',
    kind: 'REST API',
    name,
    exists: Boolean(api),
    facts: api ? [deployed ? `stage ${stage} deployed` : `stage ${stage} not deployed`] : [],
  };
}

function queueState(cloud: Cloud, id: 'queue' | 'dlq', name: string): ResourceState {
  const state: ResourceState = { id, kind: 'SQS queue', name, exists: false, facts: [] };
  try {
    const attributes = cloud.sqs.getQueueAttributes(adminContext(cloud, 'sqs'), cloud.sqs.queueUrl(name), [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
    ]);
    state.exists = true;
    state.facts = [
      `${attributes.ApproximateNumberOfMessages ?? 0} waiting`,
      `${attributes.ApproximateNumberOfMessagesNotVisible ?? 0} in flight`,
    ];
  } catch {
    // No such queue: the box says missing.
  }
  return state;
}

function topicState(cloud: Cloud, name: string): ResourceState {
  const state: ResourceState = { id: 'topic', kind: 'SNS topic', name, exists: false, facts: [] };
  try {
    const attributes = cloud.sns.getTopicAttributes(adminContext(cloud, 'sns'), cloud.sns.topicArn(name));
    state.exists = true;
    state.facts = [`${attributes.SubscriptionsConfirmed ?? 0} subscriptions`];
  } catch {
    // No such topic.
  }
  return state;
}

async function tableState(cloud: Cloud, name: string): Promise<ResourceState> {
  const state: ResourceState = { id: 'table', kind: 'DynamoDB table', name, exists: false, facts: [] };
  try {
    const { Table } = await callDynamoDb<{ Table?: { TableStatus?: string; GlobalSecondaryIndexes?: unknown[] } }>(cloud, 'DescribeTable', { TableName: name });
    state.exists = true;
    // Not ItemCount: DynamoDB refreshes it about every six hours, so it would mislead here.
    state.facts = [Table?.TableStatus ?? '', `${Table?.GlobalSecondaryIndexes?.length ?? 0} index(es)`].filter(Boolean);
  } catch (err) {
    if (!(err instanceof DynamoDbCallError)) throw err;
  }
  return state;
}

/** The account's admin, as the learner's own calls are: the dashboard only reads. */
function adminContext(cloud: Cloud, service: string): CallContext {
  return {
    requestId: randomUUID(),
    region: cloud.region,
    accountId: cloud.accountId,
    service,
    action: 'Dashboard',
    caller: { kind: 'admin', arn: `arn:aws:iam::${cloud.accountId}:root`, userId: cloud.accountId, accessKeyId: 'local-cloud-dashboard' },
    cloud,
  };
}
