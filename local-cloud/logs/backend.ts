import { dict } from '../core/dict.ts';
import { createHash } from 'node:crypto';
import type { Cloud } from '../cloud.ts';
import { logsErrors } from './errors.ts';

/**
 * CloudWatch Logs state and behaviour: groups, streams, events, retention.
 *
 * Events are persisted in chunks of CHUNK_SIZE per stream, so an append rewrites only the open
 * chunk (a few KB: a busy function's stream is written every LAZY_FLUSH_MS) and old events are
 * dropped a whole chunk at a time. Each stream keeps at most
 * MAX_EVENTS_PER_STREAM events and each group MAX_STREAMS_PER_GROUP streams (the oldest go first):
 * the local cloud is for learning, not for archiving. Lambda writes through `appendLambda`, which
 * persists lazily (a busy function must not rewrite its log files on every line); calls made over
 * the API are on disk before they are answered, like every other service.
 */
const CHUNK_SIZE = 100;
/** Streams saved before chunks shrank say nothing of their chunk size: theirs is this. */
const FIRST_CHUNK_SIZE = 1000;
const MAX_EVENTS_PER_STREAM = 10_000;
const MAX_STREAMS_PER_GROUP = 300;
const LAZY_FLUSH_MS = 250;
/** AWS rejects events older than 14 days (or than the retention) and more than 2 hours ahead. */
const MAX_EVENT_AGE_MS = 14 * 86_400_000;
const MAX_EVENT_AHEAD_MS = 2 * 3_600_000;

export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** [timestamp, ingestionTime, message]: compact on disk. */
type StoredEvent = [number, number, string];

export interface StreamInfo {
  name: string;
  hash: string;
  creationTime: number;
  /** Absolute index of events[0]; grows as old events are dropped. */
  firstIndex: number;
  /** Events per saved chunk (absent in older data folders: FIRST_CHUNK_SIZE). */
  chunkSize?: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  storedBytes: number;
  sequence: number;
}

export interface LogStream {
  info: StreamInfo;
  events: StoredEvent[];
}

export interface LogGroup {
  name: string;
  hash: string;
  creationTime: number;
  retentionInDays?: number;
  tags: Record<string, string>;
  streams: Map<string, LogStream>;
}

interface GroupDocument {
  name: string;
  creationTime: number;
  retentionInDays?: number;
  tags: Record<string, string>;
  streams: StreamInfo[];
}

export interface OutputEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
}

export interface FilteredEvent extends OutputEvent {
  logStreamName: string;
  eventId: string;
}

export class LogsBackend {
  private readonly groups = new Map<string, LogGroup>();
  private readonly lazyDirty = new Set<string>();
  private lazyTimer: NodeJS.Timeout | undefined;

  constructor(readonly cloud: Cloud) {
    this.load();
  }

  // ---- groups ----

  createGroup(name: string, tags: Record<string, string> = {}): LogGroup {
    if (this.groups.has(name)) throw logsErrors.groupExists();
    const group: LogGroup = { name, hash: hashOf(name), creationTime: Date.now(), tags: { ...tags }, streams: new Map() };
    this.groups.set(name, group);
    this.registerGroup(group);
    this.touch(groupDoc(group), false);
    return group;
  }

  group(name: string): LogGroup {
    const group = this.groups.get(name);
    if (!group) throw logsErrors.groupNotFound();
    this.applyRetention(group);
    return group;
  }

  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }

  /** Accepts a group name or its ARN (arn:aws:logs:R:A:log-group:NAME[:*]), as logGroupIdentifier does. */
  groupByIdentifier(identifier: string): LogGroup {
    const match = /^arn:aws[a-z-]*:logs:[^:]*:\d{12}:log-group:(.+?)(?::\*)?$/.exec(identifier);
    return this.group(match ? match[1] : identifier);
  }

  listGroups(): LogGroup[] {
    return [...this.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  deleteGroup(name: string): void {
    const group = this.group(name);
    for (const stream of group.streams.values()) this.forgetStream(group, stream);
    this.groups.delete(name);
    this.cloud.store.remove(groupDoc(group));
  }

  setRetention(name: string, days: number | undefined): void {
    const group = this.group(name);
    group.retentionInDays = days;
    this.applyRetention(group);
    this.touch(groupDoc(group), false);
  }

  tagGroup(group: LogGroup, tags: Record<string, string>): void {
    group.tags = dict({ ...group.tags, ...tags });
    this.touch(groupDoc(group), false);
  }

  untagGroup(group: LogGroup, keys: string[]): void {
    for (const key of keys) delete group.tags[key];
    this.touch(groupDoc(group), false);
  }

  groupArn(name: string, wildcard = false): string {
    return `arn:aws:logs:${this.cloud.region}:${this.cloud.accountId}:log-group:${name}${wildcard ? ':*' : ''}`;
  }

  storedBytes(group: LogGroup): number {
    let total = 0;
    for (const stream of group.streams.values()) total += stream.info.storedBytes;
    return total;
  }

  // ---- streams ----

  createStream(group: LogGroup, name: string): LogStream {
    if (group.streams.has(name)) throw logsErrors.streamExists();
    return this.addStream(group, name);
  }

  stream(group: LogGroup, name: string): LogStream {
    const stream = group.streams.get(name);
    if (!stream) throw logsErrors.streamNotFound();
    return stream;
  }

  deleteStream(group: LogGroup, name: string): void {
    const stream = this.stream(group, name);
    this.forgetStream(group, stream);
    group.streams.delete(name);
    this.touch(groupDoc(group), false);
  }

  streamArn(group: LogGroup, stream: string): string {
    return `${this.groupArn(group.name)}:log-stream:${stream}`;
  }

  // ---- events ----

  /**
   * PutLogEvents: appends the accepted events and reports the rejected ones the way AWS does
   * (too old, too new, or older than the group's retention).
   */
  put(
    group: LogGroup,
    stream: LogStream,
    events: Array<{ timestamp: number; message: string }>,
  ): { tooOldLogEventEndIndex?: number; tooNewLogEventStartIndex?: number; expiredLogEventEndIndex?: number } {
    const now = Date.now();
    const retentionCutoff = group.retentionInDays ? now - group.retentionInDays * 86_400_000 : -Infinity;
    const rejected: { tooOldLogEventEndIndex?: number; tooNewLogEventStartIndex?: number; expiredLogEventEndIndex?: number } = {};
    const accepted: Array<{ timestamp: number; message: string }> = [];
    events.forEach((event, index) => {
      if (event.timestamp < now - MAX_EVENT_AGE_MS) rejected.tooOldLogEventEndIndex = index + 1;
      else if (event.timestamp < retentionCutoff) rejected.expiredLogEventEndIndex = index + 1;
      else if (event.timestamp > now + MAX_EVENT_AHEAD_MS) rejected.tooNewLogEventStartIndex ??= index;
      else accepted.push(event);
    });
    this.append(group, stream, accepted, false);
    stream.info.sequence += 1;
    this.touch(groupDoc(group), false);
    return rejected;
  }

  /** Lambda's writer: creates the group and stream on first use, persists lazily. */
  appendLambda(groupName: string, streamName: string, events: Array<{ timestamp: number; message: string }>): void {
    if (events.length === 0) return;
    let group = this.groups.get(groupName);
    if (!group) group = this.createGroup(groupName);
    const stream = group.streams.get(streamName) ?? this.addStream(group, streamName);
    this.append(group, stream, events, true);
  }

  /** Events of one stream in [startTime, endTime), each with its absolute index. */
  eventsOf(group: LogGroup, stream: LogStream, startTime?: number, endTime?: number): Array<[number, StoredEvent]> {
    this.applyRetention(group);
    const out: Array<[number, StoredEvent]> = [];
    stream.events.forEach((event, i) => {
      if (startTime !== undefined && event[0] < startTime) return;
      if (endTime !== undefined && event[0] >= endTime) return;
      out.push([stream.info.firstIndex + i, event]);
    });
    return out;
  }

  eventId(group: LogGroup, stream: LogStream, index: number): string {
    // 56 digits like AWS's: a per-stream number from its hash, then the event's index.
    const streamNumber = BigInt(`0x${stream.info.hash}`) % 10n ** 20n;
    return `${streamNumber.toString().padStart(20, '0')}${String(index).padStart(36, '0')}`;
  }

  // ---- lifecycle ----

  /** Writes lazily buffered Lambda logs now (before the store's final flush). */
  close(): void {
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    this.lazyTimer = undefined;
    this.flushLazy();
  }

  // ---- internals ----

  private addStream(group: LogGroup, name: string): LogStream {
    const stream: LogStream = {
      info: { name, hash: hashOf(`${group.name}\n${name}`), creationTime: Date.now(), firstIndex: 0, chunkSize: CHUNK_SIZE, storedBytes: 0, sequence: 1 },
      events: [],
    };
    group.streams.set(name, stream);
    if (group.streams.size > MAX_STREAMS_PER_GROUP) this.dropOldestStream(group);
    this.touch(groupDoc(group), false);
    return stream;
  }

  private append(group: LogGroup, stream: LogStream, events: Array<{ timestamp: number; message: string }>, lazy: boolean): void {
    if (events.length === 0) return;
    const now = Date.now();
    const info = stream.info;
    const firstNew = info.firstIndex + stream.events.length;
    for (const { timestamp, message } of events) {
      stream.events.push([timestamp, now, message]);
      info.firstEventTimestamp = Math.min(info.firstEventTimestamp ?? timestamp, timestamp);
      info.lastEventTimestamp = Math.max(info.lastEventTimestamp ?? timestamp, timestamp);
      info.storedBytes += Buffer.byteLength(message) + 26;
    }
    info.lastIngestionTime = now;
    const lastNew = info.firstIndex + stream.events.length - 1;
    for (let chunk = Math.floor(firstNew / chunkSize(stream)); chunk <= Math.floor(lastNew / chunkSize(stream)); chunk++) {
      this.registerChunk(group, stream, chunk);
      this.touch(chunkDoc(group, stream, chunk), lazy);
    }
    if (stream.events.length > MAX_EVENTS_PER_STREAM) this.dropLeading(group, stream, stream.events.length - MAX_EVENTS_PER_STREAM);
    this.touch(groupDoc(group), lazy);
  }

  /** Drops the first `count` events, deleting chunk files that no longer hold any live event. */
  private dropLeading(group: LogGroup, stream: LogStream, count: number): void {
    if (count <= 0) return;
    const before = Math.floor(stream.info.firstIndex / chunkSize(stream));
    for (const [, , message] of stream.events.splice(0, count)) stream.info.storedBytes -= Buffer.byteLength(message) + 26;
    stream.info.firstIndex += count;
    const after = Math.floor(stream.info.firstIndex / chunkSize(stream));
    for (let chunk = before; chunk < after; chunk++) this.cloud.store.remove(chunkDoc(group, stream, chunk));
    stream.info.firstEventTimestamp = stream.events[0]?.[0];
  }

  private applyRetention(group: LogGroup): void {
    if (!group.retentionInDays) return;
    const cutoff = Date.now() - group.retentionInDays * 86_400_000;
    for (const stream of group.streams.values()) {
      if (stream.events.length === 0 || stream.events[0][0] >= cutoff) continue;
      const keepFrom = stream.events.findIndex((event) => event[0] >= cutoff);
      this.dropLeading(group, stream, keepFrom === -1 ? stream.events.length : keepFrom);
      this.touch(groupDoc(group), true);
    }
  }

  private dropOldestStream(group: LogGroup): void {
    let oldest: LogStream | undefined;
    for (const stream of group.streams.values()) {
      const last = stream.info.lastEventTimestamp ?? stream.info.creationTime;
      if (!oldest || last < (oldest.info.lastEventTimestamp ?? oldest.info.creationTime)) oldest = stream;
    }
    if (!oldest) return;
    this.forgetStream(group, oldest);
    group.streams.delete(oldest.info.name);
  }

  private forgetStream(group: LogGroup, stream: LogStream): void {
    const first = Math.floor(stream.info.firstIndex / chunkSize(stream));
    const last = Math.floor((stream.info.firstIndex + Math.max(stream.events.length - 1, 0)) / chunkSize(stream));
    for (let chunk = first; chunk <= last; chunk++) {
      this.lazyDirty.delete(chunkDoc(group, stream, chunk));
      this.cloud.store.remove(chunkDoc(group, stream, chunk));
    }
  }

  private registerGroup(group: LogGroup): void {
    this.cloud.store.register(groupDoc(group), (): GroupDocument => ({
      name: group.name,
      creationTime: group.creationTime,
      retentionInDays: group.retentionInDays,
      tags: group.tags,
      streams: [...group.streams.values()].map((s) => s.info),
    }));
  }

  private registerChunk(group: LogGroup, stream: LogStream, chunk: number): void {
    this.cloud.store.register(chunkDoc(group, stream, chunk), () => {
      const from = Math.max(chunk * chunkSize(stream) - stream.info.firstIndex, 0);
      const to = Math.max((chunk + 1) * chunkSize(stream) - stream.info.firstIndex, 0);
      return { firstIndex: stream.info.firstIndex + from, events: stream.events.slice(from, to) };
    });
  }

  private touch(doc: string, lazy: boolean): void {
    if (!lazy) {
      this.lazyDirty.delete(doc);
      this.cloud.store.markDirty(doc);
      return;
    }
    this.lazyDirty.add(doc);
    if (!this.lazyTimer) {
      this.lazyTimer = setTimeout(() => {
        this.lazyTimer = undefined;
        this.flushLazy();
      }, LAZY_FLUSH_MS);
      this.lazyTimer.unref();
    }
  }

  private flushLazy(): void {
    for (const doc of this.lazyDirty) this.cloud.store.markDirty(doc);
    this.lazyDirty.clear();
  }

  private load(): void {
    const store = this.cloud.store;
    for (const name of store.list('logs/groups')) {
      const doc = store.load<GroupDocument>(name);
      if (!doc) continue;
      const group: LogGroup = {
        name: doc.name,
        hash: hashOf(doc.name),
        creationTime: doc.creationTime,
        retentionInDays: doc.retentionInDays,
        tags: doc.tags ?? {},
        streams: new Map(),
      };
      for (const info of doc.streams) {
        const stream: LogStream = { info: { ...info }, events: [] };
        const last = info.firstIndex + MAX_EVENTS_PER_STREAM;
        for (let chunk = Math.floor(info.firstIndex / chunkSize(stream)); chunk * chunkSize(stream) < last; chunk++) {
          const saved = store.load<{ firstIndex: number; events: StoredEvent[] }>(chunkDoc(group, stream, chunk));
          if (!saved) break;
          const skip = Math.max(stream.info.firstIndex - saved.firstIndex, 0);
          stream.events.push(...saved.events.slice(skip));
          this.registerChunk(group, stream, chunk);
        }
        group.streams.set(info.name, stream);
      }
      this.groups.set(group.name, group);
      this.registerGroup(group);
    }
  }
}

function hashOf(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 16);
}

function chunkSize(stream: LogStream): number {
  return stream.info.chunkSize ?? FIRST_CHUNK_SIZE;
}

function groupDoc(group: LogGroup): string {
  return `logs/groups/${group.hash}`;
}

function chunkDoc(group: LogGroup, stream: LogStream, chunk: number): string {
  return `logs/events/${group.hash}/${stream.info.hash}-${chunk}`;
}
