/**
 * States as AWS names them. Creating, Enabling, Disabling, Updating and Deleting are transitions:
 * the local cloud settles them as soon as the pollers have started or stopped.
 */
export type MappingState = 'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled' | 'Updating' | 'Deleting';

/** One SQS event source mapping as the local cloud keeps (and persists) it. */
export interface MappingRecord {
  uuid: string;
  functionName: string;
  /** Unqualified: arn:aws:lambda:REGION:ACCOUNT:function:NAME */
  functionArn: string;
  eventSourceArn: string;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  functionResponseTypes: string[];
  /** ScalingConfig.MaximumConcurrency, when set. */
  maximumConcurrency?: number;
  /** What the user asked for; `state` follows once the pollers have started or stopped. */
  enabled: boolean;
  state: MappingState;
  /** Epoch ms. */
  lastModified: number;
  /** Order of creation (List answers in it). */
  createdAt: number;
}

/** The EventSourceMappingConfiguration shape AWS returns for an SQS mapping. */
export function toMappingConfiguration(mapping: MappingRecord, region: string, accountId: string): Record<string, unknown> {
  return {
    UUID: mapping.uuid,
    BatchSize: mapping.batchSize,
    MaximumBatchingWindowInSeconds: mapping.maximumBatchingWindowInSeconds,
    EventSourceArn: mapping.eventSourceArn,
    FunctionArn: mapping.functionArn,
    LastModified: mapping.lastModified / 1000,
    State: mapping.state,
    StateTransitionReason: 'USER_INITIATED',
    FunctionResponseTypes: [...mapping.functionResponseTypes],
    ...(mapping.maximumConcurrency !== undefined ? { ScalingConfig: { MaximumConcurrency: mapping.maximumConcurrency } } : {}),
    EventSourceMappingArn: mappingArn(mapping.uuid, region, accountId),
  };
}

export function mappingArn(uuid: string, region: string, accountId: string): string {
  return `arn:aws:lambda:${region}:${accountId}:event-source-mapping:${uuid}`;
}
