/**
 * The AWS managed policies a Lambda lesson may attach, kept as data: names, paths, versions,
 * dates, descriptions and documents as AWS publishes them (AWS Managed Policy Reference).
 * PolicyIds are the ones AWS reports where they are on record; the X-Ray one is not, so it is a
 * stable local id of the same form.
 */
export interface AwsManagedPolicy {
  name: string;
  path: string;
  arn: string;
  policyId: string;
  description: string;
  defaultVersionId: string;
  createDate: string;
  /** When the default version was created (GetPolicy's UpdateDate, GetPolicyVersion's CreateDate). */
  updateDate: string;
  document: string;
}

function policy(fields: Omit<AwsManagedPolicy, 'arn' | 'document'> & { document: object }): AwsManagedPolicy {
  return {
    ...fields,
    arn: `arn:aws:iam::aws:policy${fields.path}${fields.name}`,
    // AWS returns managed policy documents pretty-printed; keep that shape.
    document: JSON.stringify(fields.document, null, 2),
  };
}

const LOGS_WRITE = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];

export const AWS_MANAGED_POLICIES: readonly AwsManagedPolicy[] = [
  policy({
    name: 'AWSLambdaBasicExecutionRole',
    path: '/service-role/',
    policyId: 'ANPAJNCQGXC42545SKXIK',
    description: 'Provides write permissions to CloudWatch Logs.',
    defaultVersionId: 'v1',
    createDate: '2015-04-09T15:03:43Z',
    updateDate: '2015-04-09T15:03:43Z',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: LOGS_WRITE, Resource: '*' }],
    },
  }),
  policy({
    name: 'AWSLambdaSQSQueueExecutionRole',
    path: '/service-role/',
    policyId: 'ANPAJFWJZI6LQQTROCBEY',
    description:
      'Provides receive message, delete message, and read attribute access to SQS queues, and write permissions to CloudWatch logs.',
    defaultVersionId: 'v1',
    createDate: '2018-06-14T21:50:45Z',
    updateDate: '2018-06-14T21:50:45Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', ...LOGS_WRITE],
          Resource: '*',
        },
      ],
    },
  }),
  policy({
    name: 'AWSLambdaDynamoDBExecutionRole',
    path: '/service-role/',
    policyId: 'ANPAIP7WNAGMIPYNW4WQG',
    description: 'Provides list and read access to DynamoDB streams and write permissions to CloudWatch logs.',
    defaultVersionId: 'v1',
    createDate: '2015-04-09T15:09:29Z',
    updateDate: '2015-04-09T15:09:29Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'dynamodb:DescribeStream',
            'dynamodb:GetRecords',
            'dynamodb:GetShardIterator',
            'dynamodb:ListStreams',
            ...LOGS_WRITE,
          ],
          Resource: '*',
        },
      ],
    },
  }),
  policy({
    name: 'AWSXRayDaemonWriteAccess',
    path: '/',
    policyId: 'ANPALOCALXRAYDAEMONWA',
    description:
      "Allow the AWS X-Ray Daemon to relay raw trace segments data to the service's API and retrieve sampling data (rules, targets, etc.) to be used by the X-Ray SDK.",
    defaultVersionId: 'v2',
    createDate: '2018-08-28T23:00:00Z',
    updateDate: '2024-02-13T21:58:30Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AWSXRayDaemonWriteAccess',
          Effect: 'Allow',
          Action: [
            'xray:PutTraceSegments',
            'xray:PutTelemetryRecords',
            'xray:GetSamplingRules',
            'xray:GetSamplingTargets',
            'xray:GetSamplingStatisticSummaries',
          ],
          Resource: ['*'],
        },
      ],
    },
  }),
];

const BY_ARN = new Map(AWS_MANAGED_POLICIES.map((p) => [p.arn, p]));

export function awsManagedPolicy(arn: string): AwsManagedPolicy | undefined {
  return BY_ARN.get(arn);
}
