import type { Cloud } from '../../cloud.ts';
import { AwsError } from '../../protocol/errors.ts';
import { lambdaErrors } from '../errors.ts';
import type { FunctionRecord } from '../model.ts';
import { checkDestination, targetService } from './destinations.ts';

/** A function's asynchronous invocation settings (PutFunctionEventInvokeConfig), $LATEST only. */
export interface InvokeConfig {
  functionName: string;
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  onSuccess?: string;
  onFailure?: string;
  /** Epoch ms. */
  lastModified: number;
}

export interface InvokeConfigInput {
  MaximumRetryAttempts?: unknown;
  MaximumEventAgeInSeconds?: unknown;
  DestinationConfig?: { OnSuccess?: { Destination?: unknown } | null; OnFailure?: { Destination?: unknown } | null } | null;
}

/** AWS's defaults when a function has no setting: two retries, events kept six hours. */
export const DEFAULT_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 21_600;

const DOC = 'lambda/event-invoke-configs';
const DESTINATION_PATTERN = /^$|^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-])+:([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)$/;
const DESTINATION_CONSTRAINT =
  'Member must satisfy regular expression pattern: ^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)';

/** Resolves a function reference the way the Lambda API does (waiting for a transition in flight). */
export type FunctionResolver = (ref: string, qualifier?: string) => Promise<FunctionRecord>;

/**
 * PutFunctionEventInvokeConfig and its siblings. One document holds every function's settings;
 * deleting a function deletes its settings, as on AWS.
 */
export class InvokeConfigs {
  private readonly configs = new Map<string, InvokeConfig>();

  constructor(
    private readonly cloud: Cloud,
    private readonly resolve: FunctionResolver,
  ) {
    for (const config of cloud.store.load<InvokeConfig[]>(DOC) ?? []) this.configs.set(config.functionName, config);
    cloud.store.register(DOC, () => [...this.configs.values()]);
  }

  /** The settings the async queue applies to a function (undefined: AWS's defaults, no destinations). */
  of(functionName: string): InvokeConfig | undefined {
    return this.configs.get(functionName);
  }

  /** Replaces the settings: anything not given is removed. */
  async put(ref: string, qualifier: string | undefined, input: InvokeConfigInput): Promise<Record<string, unknown>> {
    const fn = await this.resolve(ref, qualifier);
    const changes = this.parse(fn, input);
    const config: InvokeConfig = { functionName: fn.name, ...changes, lastModified: Date.now() };
    this.save(config);
    return configuration(config, fn.arn);
  }

  /** Changes only the settings given. */
  async update(ref: string, qualifier: string | undefined, input: InvokeConfigInput): Promise<Record<string, unknown>> {
    const fn = await this.resolve(ref, qualifier);
    const changes = this.parse(fn, input);
    const current = this.existing(fn);
    const config: InvokeConfig = { ...current, ...changes, lastModified: Date.now() };
    // A DestinationConfig that names only one side keeps the other.
    if (input.DestinationConfig) {
      if (!('OnSuccess' in input.DestinationConfig)) config.onSuccess = current.onSuccess;
      if (!('OnFailure' in input.DestinationConfig)) config.onFailure = current.onFailure;
    }
    this.save(config);
    return configuration(config, fn.arn);
  }

  async get(ref: string, qualifier: string | undefined): Promise<Record<string, unknown>> {
    const fn = await this.resolve(ref, qualifier);
    return configuration(this.existing(fn), fn.arn);
  }

  async list(ref: string): Promise<Record<string, unknown>> {
    const fn = await this.resolve(ref);
    const config = this.configs.get(fn.name);
    return { FunctionEventInvokeConfigs: config ? [configuration(config, fn.arn)] : [] };
  }

  async delete(ref: string, qualifier: string | undefined): Promise<void> {
    const fn = await this.resolve(ref, qualifier);
    this.existing(fn);
    this.forget(fn.name);
  }

  /** The function is gone: so are its settings. */
  forget(functionName: string): void {
    if (this.configs.delete(functionName)) this.cloud.store.markDirty(DOC);
  }

  private existing(fn: FunctionRecord): InvokeConfig {
    const config = this.configs.get(fn.name);
    if (!config) {
      throw new AwsError('ResourceNotFoundException', `The function ${fn.arn}:$LATEST doesn't have an EventInvokeConfig`, {
        status: 404,
      });
    }
    return config;
  }

  private save(config: InvokeConfig): void {
    this.configs.set(config.functionName, config);
    this.cloud.store.markDirty(DOC);
  }

  /** Validates a request the way Lambda does; returns only what it sets. */
  private parse(fn: FunctionRecord, input: InvokeConfigInput): Partial<InvokeConfig> {
    const retries = input.MaximumRetryAttempts;
    const age = input.MaximumEventAgeInSeconds;
    const destinations = input.DestinationConfig;
    if (isAbsent(retries) && isAbsent(age) && isAbsent(destinations)) {
      throw lambdaErrors.invalidParameter('You must specify at least one of error handling or destination setting.');
    }
    const out: Partial<InvokeConfig> = {};
    if (!isAbsent(retries)) out.maximumRetryAttempts = integerIn(retries, 'maximumRetryAttempts', 0, 2);
    if (!isAbsent(age)) out.maximumEventAgeInSeconds = integerIn(age, 'maximumEventAgeInSeconds', 60, 21_600);
    if (!isAbsent(destinations)) {
      const onSuccess = destinationOf(destinations.OnSuccess?.Destination, 'onSuccess');
      const onFailure = destinationOf(destinations.OnFailure?.Destination, 'onFailure');
      for (const arn of [onSuccess, onFailure]) {
        if (!arn) continue;
        const service = arn.split(':')[2];
        if (['lambda', 'events', 's3'].includes(service)) {
          throw lambdaErrors.invalidParameter(
            `The local cloud sends invocation records to SQS queues and SNS topics only; ${arn} is a ${service} destination.`,
          );
        }
        if (!targetService(arn)) {
          const side = (name: string, value?: string) => (value ? `${name}(destination=${value})` : 'null');
          throw lambdaErrors.invalidParameter(
            `The provided destination config DestinationConfig(onSuccess=${side('OnSuccess', onSuccess)}, ` +
              `onFailure=${side('OnFailure', onFailure)}) is invalid.`,
          );
        }
        checkDestination(this.cloud, fn.role, fn.name, arn);
      }
      out.onSuccess = onSuccess;
      out.onFailure = onFailure;
    }
    return out;
  }
}

/** The FunctionEventInvokeConfig shape AWS returns. */
function configuration(config: InvokeConfig, functionArn: string): Record<string, unknown> {
  return {
    LastModified: config.lastModified / 1000,
    FunctionArn: `${functionArn}:$LATEST`,
    ...(config.maximumRetryAttempts !== undefined ? { MaximumRetryAttempts: config.maximumRetryAttempts } : {}),
    ...(config.maximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: config.maximumEventAgeInSeconds } : {}),
    DestinationConfig: {
      OnSuccess: config.onSuccess ? { Destination: config.onSuccess } : {},
      OnFailure: config.onFailure ? { Destination: config.onFailure } : {},
    },
  };
}

function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

function integerIn(value: unknown, member: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n)) throw lambdaErrors.validation(value, member, 'Member must be an integer');
  if (n < min) throw lambdaErrors.validation(n, member, `Member must have value greater than or equal to ${min}`);
  if (n > max) throw lambdaErrors.validation(n, member, `Member must have value less than or equal to ${max}`);
  return n;
}

function destinationOf(value: unknown, side: 'onSuccess' | 'onFailure'): string | undefined {
  if (isAbsent(value) || value === '') return undefined;
  const arn = String(value);
  if (!DESTINATION_PATTERN.test(arn)) throw lambdaErrors.validation(arn, `destinationConfig.${side}.destination`, DESTINATION_CONSTRAINT);
  return arn;
}
