import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.ts';
import type { FunctionRecord } from '../model.ts';
import { checkFunctionName, checkRange } from '../validate.ts';
import { roleAllows } from '../async/execution-role.ts';
import type { FunctionResolver } from '../async/invoke-config.ts';
import { mappingErrors } from './errors.ts';
import { toMappingConfiguration, type MappingRecord } from './model.ts';
import { MappingPoller, type PollerHost } from './poller.ts';
import { checkBatchWindow, checkUuid, parseSettings } from './validate.ts';
import { AWS_TIMING } from '../../realism/aws-timing.ts';

export interface MappingsHost extends PollerHost {
  /** A function by name or ARN, once any transition in flight is over; Lambda's 404 otherwise. */
  resolve: FunctionResolver;
  /** The unqualified ARN a function reference names. */
  arnOf(ref: string): string;
}

/** The calls Lambda's pollers make with the execution role, in the order AWS checks them at create time. */
const POLLER_CALLS = ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'];
const FOLDER = 'lambda/event-source-mappings';

/**
 * SQS event source mappings: the control plane (Create/Get/List/Update/Delete, with AWS's
 * create-time checks) and the pollers of each enabled mapping. State changes are real and, with
 * realism off, quick (under the realism profile they take AWS's time first):
 * a mapping answers Creating, Enabling, Disabling, Updating or Deleting, and settles as soon as
 * its pollers have started or stopped. Mappings are persisted; after a restart the enabled ones
 * poll again.
 */
export class EventSourceMappings {
  private readonly mappings = new Map<string, MappingRecord>();
  private readonly pollers = new Map<string, MappingPoller>();
  /** Per mapping, the settling of its latest change (changes apply one after the other). */
  private readonly transitions = new Map<string, Promise<void>>();
  /** Realism: transitions waiting out AWS's time, ended at once by close(). */
  private readonly waits = new Set<{ timer: NodeJS.Timeout; done: () => void }>();
  private closing = false;

  constructor(
    private readonly cloud: Cloud,
    private readonly host: MappingsHost,
  ) {
    for (const doc of cloud.store.list(FOLDER)) {
      const mapping = cloud.store.load<MappingRecord>(doc);
      if (mapping) this.track(mapping);
    }
  }

  /** Settles what a stop interrupted and starts the pollers of enabled mappings; called once Lambda is ready. */
  resume(): void {
    for (const mapping of this.mappings.values()) this.settle(mapping);
  }

  async create(input: Record<string, any>): Promise<Record<string, unknown>> {
    const ref = checkFunctionName(input.FunctionName);
    const sourceArn = this.sourceArn(input.EventSourceArn);
    const settings = parseSettings(input);
    const batchSize = settings.batchSize ?? 10;
    const window = settings.maximumBatchingWindowInSeconds ?? 0;
    checkBatchWindow(batchSize, window);
    const fn = await this.host.resolve(ref);
    this.checkSource(fn, sourceArn);
    const duplicate = [...this.mappings.values()].find(
      (m) => m.eventSourceArn === sourceArn && m.functionArn === fn.arn && m.state !== 'Deleting',
    );
    if (duplicate) throw mappingErrors.duplicate(sourceArn, fn.name, duplicate.uuid);

    const now = Date.now();
    const mapping: MappingRecord = {
      uuid: randomUUID(),
      functionName: fn.name,
      functionArn: fn.arn,
      eventSourceArn: sourceArn,
      batchSize,
      maximumBatchingWindowInSeconds: window,
      functionResponseTypes: settings.functionResponseTypes ?? [],
      ...(settings.maximumConcurrency ? { maximumConcurrency: settings.maximumConcurrency } : {}),
      enabled: settings.enabled ?? true,
      state: 'Creating',
      lastModified: now,
      createdAt: now,
    };
    this.track(mapping);
    this.persist(mapping);
    const response = this.configuration(mapping);
    this.settle(mapping);
    return response;
  }

  get(uuid: string): Record<string, unknown> {
    return this.configuration(this.existing(uuid));
  }

  list(filters: { eventSourceArn?: string; functionName?: string; marker?: string; maxItems?: number }): Record<string, unknown> {
    const limit = filters.maxItems === undefined ? 100 : checkRange(filters.maxItems, 'maxItems', 1, 10_000);
    const functionArn = filters.functionName ? this.host.arnOf(checkFunctionName(filters.functionName)) : undefined;
    const all = [...this.mappings.values()]
      .filter((m) => !filters.eventSourceArn || m.eventSourceArn === filters.eventSourceArn)
      .filter((m) => !functionArn || m.functionArn === functionArn)
      .sort((a, b) => a.createdAt - b.createdAt || (a.uuid < b.uuid ? -1 : 1));
    let start = 0;
    if (filters.marker) {
      const after = Buffer.from(filters.marker, 'base64url').toString('utf8');
      start = all.findIndex((m) => m.uuid === after) + 1;
    }
    const page = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return {
      EventSourceMappings: page.map((m) => this.configuration(m)),
      ...(more ? { NextMarker: Buffer.from(page[page.length - 1].uuid).toString('base64url') } : {}),
    };
  }

  async update(uuid: string, input: Record<string, any>): Promise<Record<string, unknown>> {
    await this.transitions.get(this.existing(uuid).uuid);
    const mapping = this.existing(uuid);
    const settings = parseSettings(input);
    const batchSize = settings.batchSize ?? mapping.batchSize;
    const window = settings.maximumBatchingWindowInSeconds ?? mapping.maximumBatchingWindowInSeconds;
    checkBatchWindow(batchSize, window);
    let fn: FunctionRecord | undefined;
    if (input.FunctionName !== undefined && input.FunctionName !== null) {
      fn = await this.host.resolve(checkFunctionName(input.FunctionName));
      this.checkSource(fn, mapping.eventSourceArn);
    } else {
      // A function timeout raised since: the queue's visibility timeout must still cover it.
      const current = this.host.functionNamed(mapping.functionName);
      const queue = this.cloud.sqs.queueByArn(mapping.eventSourceArn);
      if (current && queue) this.checkVisibility(queue.settings.visibilityTimeout, current.timeout);
    }

    const toggled = settings.enabled !== undefined && settings.enabled !== mapping.enabled;
    if (fn) Object.assign(mapping, { functionName: fn.name, functionArn: fn.arn });
    mapping.batchSize = batchSize;
    mapping.maximumBatchingWindowInSeconds = window;
    if (settings.functionResponseTypes) mapping.functionResponseTypes = settings.functionResponseTypes;
    if (settings.maximumConcurrency === null) delete mapping.maximumConcurrency;
    else if (settings.maximumConcurrency !== undefined) mapping.maximumConcurrency = settings.maximumConcurrency;
    if (settings.enabled !== undefined) mapping.enabled = settings.enabled;
    mapping.state = toggled ? (mapping.enabled ? 'Enabling' : 'Disabling') : 'Updating';
    mapping.lastModified = Date.now();
    this.persist(mapping);
    const response = this.configuration(mapping);
    this.settle(mapping);
    return response;
  }

  async delete(uuid: string): Promise<Record<string, unknown>> {
    await this.transitions.get(this.existing(uuid).uuid);
    const mapping = this.existing(uuid);
    mapping.state = 'Deleting';
    this.persist(mapping);
    const response = this.configuration(mapping);
    this.settle(mapping);
    return response;
  }

  /** The ARN of a mapping, for authorization (Lambda's 404 for an unknown or malformed UUID). */
  arnOf(uuid: string): string {
    return this.configuration(this.existing(uuid)).EventSourceMappingArn as string;
  }

  /** Pollers running for a mapping (tests and the live log). */
  pollerCount(uuid: string): number {
    return this.pollers.get(uuid)?.size ?? 0;
  }

  /** Ends every long poll at once; resolves when the pollers have ended (batches in flight finish or fail). */
  close(): Promise<void> {
    this.closing = true;
    for (const wait of this.waits) {
      clearTimeout(wait.timer);
      wait.done();
    }
    this.waits.clear();
    const stopping = [...this.pollers.values()].map((poller) => poller.stop());
    this.pollers.clear();
    return Promise.all(stopping).then(() => undefined);
  }

  // ---- internals ----

  /**
   * Applies the mapping's wanted state: pollers started or stopped, then the settled state. Under
   * the realism profile the transition first takes AWS's time (Creating, Updating, Deleting…):
   * a new mapping polls only once Enabled; a disabled or deleted one polls until it settles.
   */
  private settle(mapping: MappingRecord): void {
    const previous = this.transitions.get(mapping.uuid) ?? Promise.resolve();
    const delayMs = this.cloud.realism.ms(transitionTime(mapping.state));
    const done = previous
      .then(() => (delayMs > 0 ? this.awsTime(delayMs) : new Promise<void>((resolve) => setImmediate(resolve))))
      .then(async () => {
        if (this.closing) return;
        if (mapping.state === 'Deleting') {
          await this.stopPollers(mapping);
          this.mappings.delete(mapping.uuid);
          this.cloud.store.remove(docName(mapping.uuid));
          this.log(mapping, 'deleted');
          return;
        }
        if (mapping.enabled) {
          this.startPollers(mapping);
          this.setState(mapping, 'Enabled');
        } else {
          await this.stopPollers(mapping);
          this.setState(mapping, 'Disabled');
        }
      });
    this.transitions.set(mapping.uuid, done);
    void done.finally(() => {
      if (this.transitions.get(mapping.uuid) === done) this.transitions.delete(mapping.uuid);
    });
  }

  /** Waits out one of AWS's durations; close() ends the wait at once. */
  private awsTime(ms: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wait = {
        timer: setTimeout(() => {
          this.waits.delete(wait);
          resolve();
        }, ms),
        done: resolve,
      };
      this.waits.add(wait);
    });
  }

  private setState(mapping: MappingRecord, state: 'Enabled' | 'Disabled'): void {
    if (mapping.state === state) return;
    mapping.state = state;
    this.persist(mapping);
    this.log(mapping, state === 'Enabled' ? `Enabled: polling ${queueName(mapping.eventSourceArn)}` : 'Disabled: not polling');
  }

  private startPollers(mapping: MappingRecord): void {
    let poller = this.pollers.get(mapping.uuid);
    if (!poller) {
      poller = new MappingPoller(mapping, this.host);
      this.pollers.set(mapping.uuid, poller);
    }
    poller.start();
  }

  private async stopPollers(mapping: MappingRecord): Promise<void> {
    const poller = this.pollers.get(mapping.uuid);
    if (!poller) return;
    this.pollers.delete(mapping.uuid);
    await poller.stop();
  }

  private sourceArn(value: unknown): string {
    if (typeof value !== 'string' || value === '') throw mappingErrors.eventSourceRequired();
    const parts = value.split(':');
    if (parts[0] !== 'arn' || parts.length < 6) throw mappingErrors.eventSourceRequired();
    if (parts[2] !== 'sqs') throw mappingErrors.sourceNotEmulated(value);
    return value;
  }

  /**
   * AWS's create-time checks of the queue: the execution role may receive, delete and read the
   * queue's attributes; the queue exists; its visibility timeout covers the function's timeout.
   */
  private checkSource(fn: FunctionRecord, queueArn: string): void {
    for (const call of POLLER_CALLS) {
      if (roleAllows(this.cloud, fn.role, fn.name, `sqs:${call}`, queueArn).decision !== 'Allow') {
        throw mappingErrors.rolePermissions(call);
      }
    }
    const queue = this.cloud.sqs.queueByArn(queueArn);
    if (!queue) throw mappingErrors.missingQueue();
    this.checkVisibility(queue.settings.visibilityTimeout, fn.timeout);
  }

  private checkVisibility(queueSeconds: number, functionSeconds: number): void {
    if (queueSeconds < functionSeconds) throw mappingErrors.visibilityTimeout(queueSeconds, functionSeconds);
  }

  private existing(uuid: string): MappingRecord {
    const mapping = this.mappings.get(checkUuid(uuid));
    if (!mapping) throw mappingErrors.notFound();
    return mapping;
  }

  private configuration(mapping: MappingRecord): Record<string, unknown> {
    return toMappingConfiguration(mapping, this.cloud.region, this.cloud.accountId);
  }

  private track(mapping: MappingRecord): void {
    this.mappings.set(mapping.uuid, mapping);
    this.cloud.store.register(docName(mapping.uuid), () => mapping);
  }

  private persist(mapping: MappingRecord): void {
    if (this.mappings.get(mapping.uuid) === mapping) this.cloud.store.markDirty(docName(mapping.uuid));
  }

  private log(mapping: MappingRecord, detail: string): void {
    this.cloud.log({ service: 'lambda', action: 'EventSourceMapping', detail: `esm ${mapping.uuid} → ${mapping.functionName}: ${detail}` });
  }
}

/** AWS's time for a mapping to leave `state` (0 for a settled one: a restart resumes it at once). */
function transitionTime(state: MappingRecord['state']): number {
  switch (state) {
    case 'Creating':
      return AWS_TIMING.mappingCreate;
    case 'Deleting':
      return AWS_TIMING.mappingDelete;
    case 'Enabling':
    case 'Disabling':
    case 'Updating':
      return AWS_TIMING.mappingUpdate;
    default:
      return 0;
  }
}

function docName(uuid: string): string {
  return `${FOLDER}/${uuid}`;
}

function queueName(arn: string): string {
  return arn.split(':')[5] ?? arn;
}
