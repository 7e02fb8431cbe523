import { EventEmitter } from 'node:events';
import { StateStore } from './state/store.ts';
import type { CallContext, Caller } from './core/context.ts';
import { IamBackend } from './iam/backend.ts';
import { authorizeCall } from './core/authorize.ts';
import { Faults } from './core/faults.ts';
import { RealismProfile } from './realism/profile.ts';
import { sandboxSizing, type SandboxSizing } from './lambda/runtime/sizing.ts';
import type { ContextValue } from './iam/policy/index.ts';
import type { SdkChannel } from './core/channel/index.ts';
import { SqsBackend } from './sqs/backend.ts';
import { DynamoDbService } from './dynamodb/index.ts';
import { ApigatewayBackend } from './apigateway/backend.ts';
import { LambdaBackend } from './lambda/backend.ts';
import { LogsBackend } from './logs/backend.ts';
import { SnsBackend } from './sns/backend.ts';
import { SessionIssuer, roleNameOf } from './sts/sessions.ts';

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
  /** AWS's timing (eventual consistency, rate limits), or instant; off by default. */
  realism?: RealismProfile;
  /** Lambda sandboxes per function and their idle times; from the environment when absent. */
  sandboxes?: SandboxSizing;
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
  /** Switches that make the cloud misbehave like AWS sometimes does (tests only). */
  readonly faults = new Faults();
  /** How much like AWS the cloud behaves in time (see realism/profile.ts). */
  readonly realism: RealismProfile;
  readonly sandboxes: SandboxSizing;
  /** http://127.0.0.1:PORT once the server listens; queue URLs are built from it. */
  baseUrl = 'http://127.0.0.1:4566';
  /** Opens the cloud's own endpoints (control/token.ts); set by the server at start. Empty opens nothing. */
  controlToken = '';
  /**
   * Answers Lambda workers' SDK calls over their IPC channel (core/channel/); set by the server at
   * start unless LOCAL_CLOUD_SDK_CHANNEL=off. Absent: workers call the cloud over loopback HTTP.
   */
  sdkChannel: SdkChannel | undefined;

  readonly iam: IamBackend;
  readonly sqs: SqsBackend;
  readonly dynamodb: DynamoDbService;
  readonly apigateway: ApigatewayBackend;
  readonly logs: LogsBackend;
  readonly lambda: LambdaBackend;
  readonly sns: SnsBackend;
  /** Role-session credentials the cloud issued (Lambda's execution roles). */
  readonly sessions = new SessionIssuer();

  constructor(options: CloudOptions) {
    this.region = options.region;
    this.realism = options.realism ?? RealismProfile.off();
    this.sandboxes = options.sandboxes ?? sandboxSizing();
    this.store = new StateStore(options.dataDir);
    this.iam = new IamBackend(this);
    this.sqs = new SqsBackend(this);
    this.dynamodb = new DynamoDbService(options.dataDir, this.realism);
    this.apigateway = new ApigatewayBackend(this);
    this.logs = new LogsBackend(this);
    this.lambda = new LambdaBackend(this);
    this.sns = new SnsBackend(this);
  }

  /**
   * Who an access key is, once core/auth/ has verified the request's signature with it (or, as
   * "anonymous", let through one of the few requests AWS answers unsigned). Credentials the cloud
   * issued (a function's execution role) are that role's session:
   * arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION. The account's own key pair is its admin.
   */
  identify(accessKeyId: string): Caller {
    const session = this.sessions.find(accessKeyId);
    if (session) {
      const roleId = this.iam.roleByArn(session.roleArn)?.id ?? 'AROAUNKNOWNROLE00000';
      return {
        kind: 'role',
        arn: `arn:aws:sts::${this.accountId}:assumed-role/${roleNameOf(session.roleArn)}/${session.sessionName}`,
        userId: `${roleId}:${session.sessionName}`,
        accessKeyId,
        roleArn: session.roleArn,
      };
    }
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
   * The learner's admin credentials always pass; function roles are evaluated against their policies.
   */
  authorize(ctx: CallContext, action: string, resource: string, context?: Record<string, ContextValue | undefined>): void {
    authorizeCall(this, ctx, action, resource, context);
  }

  log(event: Omit<CloudEvent, 'time'>): void {
    this.events.emit('event', { time: new Date(), ...event });
  }

  async close(): Promise<void> {
    await this.sns.close(); // deliveries under way finish before their targets stop
    await this.lambda.close();
    this.logs.close();
    this.sqs.close();
    await this.store.flushed(); // let a write under way land before the last one
    this.store.flushSync();
    this.store.close();
    await this.dynamodb.close();
  }
}
