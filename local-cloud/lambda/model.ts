import { createHash } from 'node:crypto';

/** One function as the backend keeps it (and persists it). Only $LATEST exists: no versions or aliases. */
export interface FunctionRecord {
  name: string;
  arn: string;
  runtime: string;
  role: string;
  handler: string;
  description: string;
  timeout: number;
  memorySize: number;
  /** undefined when the function has no Environment at all (AWS then omits it). */
  environment?: Record<string, string>;
  architectures: string[];
  ephemeralStorageSize: number;
  tracingMode: string;
  logFormat: string;
  logGroup: string;
  deadLetterTargetArn?: string;
  codeSha256: string;
  codeSize: number;
  /** Hex SHA-256 of the zip: names its files under the data folder. */
  codeHash: string;
  lastModified: string;
  revisionId: string;
  state: 'Pending' | 'Active' | 'Failed';
  stateReason?: string;
  stateReasonCode?: string;
  lastUpdateStatus?: 'InProgress' | 'Successful' | 'Failed';
  lastUpdateStatusReason?: string;
  lastUpdateStatusReasonCode?: string;
  tags: Record<string, string>;
  /** Resource-policy statements (AddPermission), in AWS's JSON form. */
  policy: PolicyStatement[];
}

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: '*' | { Service: string } | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

/** The FunctionConfiguration shape AWS returns; `full` adds the state fields ListFunctions leaves out. */
export function toConfiguration(fn: FunctionRecord, region: string, full = true): Record<string, unknown> {
  const config: Record<string, unknown> = {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: fn.runtime,
    Role: fn.role,
    Handler: fn.handler,
    CodeSize: fn.codeSize,
    Description: fn.description,
    Timeout: fn.timeout,
    MemorySize: fn.memorySize,
    LastModified: fn.lastModified,
    CodeSha256: fn.codeSha256,
    Version: '$LATEST',
    ...(fn.environment ? { Environment: { Variables: { ...fn.environment } } } : {}),
    TracingConfig: { Mode: fn.tracingMode },
    ...(fn.deadLetterTargetArn ? { DeadLetterConfig: { TargetArn: fn.deadLetterTargetArn } } : {}),
    RevisionId: fn.revisionId,
    PackageType: 'Zip',
    Architectures: [...fn.architectures],
    EphemeralStorage: { Size: fn.ephemeralStorageSize },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    RuntimeVersionConfig: { RuntimeVersionArn: runtimeVersionArn(fn.runtime, region) },
    LoggingConfig: { LogFormat: fn.logFormat, LogGroup: fn.logGroup },
  };
  if (full) {
    config.State = fn.state;
    if (fn.stateReason) config.StateReason = fn.stateReason;
    if (fn.stateReasonCode) config.StateReasonCode = fn.stateReasonCode;
    if (fn.lastUpdateStatus) config.LastUpdateStatus = fn.lastUpdateStatus;
    if (fn.lastUpdateStatusReason) config.LastUpdateStatusReason = fn.lastUpdateStatusReason;
    if (fn.lastUpdateStatusReasonCode) config.LastUpdateStatusReasonCode = fn.lastUpdateStatusReasonCode;
  }
  return config;
}

/** A stable, AWS-shaped runtime version ARN per runtime (the local cloud has one version of each). */
export function runtimeVersionArn(runtime: string, region: string): string {
  const digest = createHash('sha256').update(`local-cloud:${runtime}`).digest('hex');
  return `arn:aws:lambda:${region}::runtime:${digest}`;
}

/** AWS's LastModified format: 2024-01-30T12:34:56.789+0000. */
export function lastModifiedNow(): string {
  return new Date().toISOString().replace('Z', '+0000');
}
