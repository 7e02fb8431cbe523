/**
 * AWS's own durations and control-plane quotas (milliseconds, at scale 1) for what the realism
 * profile reproduces in SQS, SNS, API Gateway and DynamoDB (aws-timing.ts has IAM's and
 * Lambda's). `RealismProfile.ms()` scales them and answers 0 with realism off. Where AWS gives a
 * figure it is used as given; where AWS says only "a moment", the figure is a typical one, on the
 * slow side. README.md says where each comes from.
 */
export const SERVICE_TIMING = {
  /** SetQueueAttributes → the new values are read back and decide the queue's behaviour ("up to 60 seconds"). */
  queueAttributes: 60_000,
  /**
   * How stale ApproximateNumberOfMessages, …NotVisible and …Delayed may be: AWS's figures "may not
   * achieve consistency until at least 1 minute after the producers stop sending messages".
   */
  queueCounts: 60_000,
  /** DeleteQueue → CreateQueue may reuse the name ("You must wait 60 seconds …"). */
  queueNameReuse: 60_000,
  /** Subscribe (or ConfirmSubscription) → the subscription receives deliveries. AWS: "a moment". */
  subscriptionActive: 10_000,
  /**
   * SetSubscriptionAttributes FilterPolicy / FilterPolicyScope → deliveries follow it. AWS says
   * "up to 15 minutes"; a shorter figure, so that a tour under realism stays within minutes.
   */
  filterPolicy: 60_000,
  /** API Gateway's fixed quota: CreateDeployment, 1 request every 5 seconds per account. */
  createDeploymentInterval: 5_000,
  /** API Gateway's fixed quota: DeleteRestApi, 1 request every 30 seconds per account. */
  deleteRestApiInterval: 30_000,
  /** DynamoDB CreateTable: CREATING → ACTIVE (an on-demand table without indexes: seconds). */
  tableCreate: 10_000,
  /** DynamoDB DeleteTable: DELETING → gone. */
  tableDelete: 10_000,
  /** DynamoDB UpdateTable: UPDATING → ACTIVE. */
  tableUpdate: 10_000,
} as const;
