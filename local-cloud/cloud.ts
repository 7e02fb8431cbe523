import { EventEmitter } from 'node:events';
import { StateStore } from './state/store.ts';
import type { CallContext, Caller } from './core/context.ts';
import { IamBackend } from './iam/backend.ts';
import { SqsBackend } from './sqs/backend.ts';
import { DynamoDbService } from './dynamodb/index.ts';

export const ACCOUNT_ID = '000000000000';

/** One line of the live log: a call answered, or something the cloud did on its own. */
export interface CloudEvent {
  time: Date;
  service: string;
  action: string;
  status?: number;
  ms?: number;
  caller?: string;
  detail?: string;
  error?: string;
}

export interface CloudOptions {
  /** Where state lives; null keeps everything in memory. */
  dataDir: string | null;
  region: string;
}

/**
 * The services' state and behaviour, apart from any wire protocol. The HTTP server
 * (server.ts) turns requests into calls on these backends.
 */
export class Cloud {
  readonly accountId = ACCOUNT_ID;
  readonly region: string;
  readonly store: StateStore;
  readonly events = new EventEmitter<{ event: [CloudEvent] }>();
  /** http://127.0.0.1:PORT once the server listens; queue URLs are built from it. */
  baseUrl = 'http://127.0.0.1:4566';

  readonly iam: IamBackend;
  readonly sqs: SqsBackend;
  readonly dynamodb: DynamoDbService;

  constructor(options: CloudOptions) {
    this.region = options.region;
    this.store = new StateStore(options.dataDir);
    this.iam = new IamBackend(this);
    this.sqs = new SqsBackend(this);
    this.dynamodb = new DynamoDbService(options.dataDir);
  }

  /** The learner's own credentials (anything the cloud did not issue) are the account's admin. */
  identify(accessKeyId: string): Caller {
    return {
      kind: 'admin',
      arn: `arn:aws:iam::${this.accountId}:root`,
      userId: this.accountId,
      accessKeyId,
    };
  }

  /**
   * Decides whether the caller may perform `action` (e.g. "sqs:SendMessage") on `resource` (an ARN).
   * Services call this on every operation; it throws the service's own AccessDenied error.
   * The learner's admin credentials always pass; function roles are evaluated against their
   * policies once Lambda issues role credentials.
   */
  authorize(ctx: CallContext, action: string, resource: string): void {
    if (ctx.caller.kind === 'admin') return;
    void action;
    void resource;
  }

  log(event: Omit<CloudEvent, 'time'>): void {
    this.events.emit('event', { time: new Date(), ...event });
  }

  async close(): Promise<void> {
    this.sqs.close();
    this.store.flushSync();
    await this.dynamodb.close();
  }
}
