import { lambdaErrors } from '../errors.ts';
import { checkRange } from '../validate.ts';
import { mappingErrors } from './errors.ts';

/** The settings Create and Update take for an SQS mapping. */
export interface MappingSettings {
  batchSize?: number;
  maximumBatchingWindowInSeconds?: number;
  functionResponseTypes?: string[];
  /** null removes the ScalingConfig. */
  maximumConcurrency?: number | null;
  enabled?: boolean;
}

const RESPONSE_TYPES = ['ReportBatchItemFailures'];
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks each setting the request gives, with Lambda's constraint messages. */
export function parseSettings(input: Record<string, any>): MappingSettings {
  if (input.StartingPosition !== undefined || input.StartingPositionTimestamp !== undefined) {
    if (input.StartingPosition !== undefined && !['LATEST', 'AT_TIMESTAMP', 'TRIM_HORIZON'].includes(input.StartingPosition)) {
      throw lambdaErrors.validation(
        input.StartingPosition,
        'startingPosition',
        'Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]',
      );
    }
    throw mappingErrors.startingPosition();
  }
  const out: MappingSettings = {};
  if (isSet(input.BatchSize)) out.batchSize = checkRange(input.BatchSize, 'batchSize', 1, 10_000);
  if (isSet(input.MaximumBatchingWindowInSeconds)) {
    out.maximumBatchingWindowInSeconds = checkRange(input.MaximumBatchingWindowInSeconds, 'maximumBatchingWindowInSeconds', 0, 300);
  }
  if (isSet(input.FunctionResponseTypes)) {
    const types = input.FunctionResponseTypes;
    if (!Array.isArray(types) || types.some((t) => !RESPONSE_TYPES.includes(t))) {
      throw lambdaErrors.validation(
        Array.isArray(types) ? `[${types.join(', ')}]` : types,
        'functionResponseTypes',
        `Member must satisfy constraint: [Member must satisfy enum value set: [${RESPONSE_TYPES.join(', ')}]]`,
      );
    }
    out.functionResponseTypes = [...new Set<string>(types)];
  }
  if (input.ScalingConfig !== undefined) {
    const value = input.ScalingConfig?.MaximumConcurrency;
    out.maximumConcurrency = isSet(value) ? checkRange(value, 'scalingConfig.maximumConcurrency', 2, 1000) : null;
  }
  if (isSet(input.Enabled)) {
    if (typeof input.Enabled !== 'boolean') throw lambdaErrors.validation(input.Enabled, 'enabled', 'Member must be a boolean');
    out.enabled = input.Enabled;
  }
  return out;
}

/** Batches above 10 records need a batching window (AWS's rule for SQS). */
export function checkBatchWindow(batchSize: number, windowSeconds: number): void {
  if (batchSize > 10 && windowSeconds === 0) throw mappingErrors.batchWindowRequired();
}

/** The UUID of a path; anything else is a mapping that does not exist. */
export function checkUuid(uuid: string): string {
  if (!UUID_PATTERN.test(uuid)) throw mappingErrors.notFound();
  return uuid;
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}
