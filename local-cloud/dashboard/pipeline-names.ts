/**
 * The pipeline the dashboard draws, by the names the workbook gives its resources
 * (lib/names.ts): `${prefix}-orders`, `${prefix}-intake`, … The page says which prefix.
 */
export const PREFIX_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
export const DEFAULT_PREFIX = 'workbook';

export function pipelineNames(prefix: string) {
  return {
    api: `${prefix}-orders-api`,
    apiStage: 'v1',
    intake: `${prefix}-intake`,
    queue: `${prefix}-orders`,
    dlq: `${prefix}-orders-dlq`,
    monitor: `${prefix}-monitor`,
    topic: `${prefix}-order-updates`,
    recorder: `${prefix}-recorder`,
    table: `${prefix}-order-events`,
  };
}

export type PipelineNames = ReturnType<typeof pipelineNames>;
