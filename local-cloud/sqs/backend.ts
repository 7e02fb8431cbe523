import type { Cloud } from '../cloud.ts';

/** SQS state and behaviour: queues, messages, visibility, redrive. */
export class SqsBackend {
  constructor(readonly cloud: Cloud) {}
  close(): void {}
}
