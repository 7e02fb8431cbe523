import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { IAMClient } from '@aws-sdk/client-iam';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { resolveTarget, type Target } from './config.ts';

// Step 0 and its check report an old Node.js once, with what to do; the SDK would repeat its
// own warning on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * One small factory per client, all aimed at the current target (see config.ts). Each call
 * builds a fresh client from the environment as it is now. On real AWS no endpoint is passed:
 * the SDK resolves each service's own (and honours AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL
 * and a profile's endpoint_url); the local cloud and LocalStack take every call at one URL.
 */
export function clientConfig(target: Target = resolveTarget()) {
  return {
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
  };
}

export const sqsClient = () => new SQSClient(clientConfig());
export const stsClient = () => new STSClient(clientConfig());
export const lambdaClient = () => new LambdaClient(clientConfig());
export const iamClient = () => new IAMClient(clientConfig());
export const logsClient = () => new CloudWatchLogsClient(clientConfig());
export const apiGatewayClient = () => new APIGatewayClient(clientConfig());
export const snsClient = () => new SNSClient(clientConfig());
export const dynamoDbClient = () => new DynamoDBClient(clientConfig());
/** DynamoDB with plain JavaScript values in and out (no {S: …} / {N: …} wrapping). */
export const documentClient = () => DynamoDBDocumentClient.from(dynamoDbClient());
