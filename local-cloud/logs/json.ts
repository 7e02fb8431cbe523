import type { Cloud } from '../cloud.ts';
import type { CallContext } from '../core/context.ts';
import type { JsonService } from '../protocol/awsJson.ts';
import { RETENTION_DAYS, type LogGroup, type LogsBackend } from './backend.ts';
import { logsErrors } from './errors.ts';
import { compileFilterPattern } from './filter.ts';

/** CloudWatch Logs as SDK v3 and the aws CLI speak it: awsJson 1.1, `X-Amz-Target: Logs_20140328.*`. */
export function logsJson(cloud: Cloud): JsonService {
  const logs = cloud.logs;
  const authorize = (ctx: CallContext, action: string, resource: string) => ctx.cloud.authorize(ctx, `logs:${action}`, resource);

  return {
    targetPrefix: 'Logs_20140328',
    errorNamespace: 'com.amazonaws.logs',
    version: '1.1',
    operations: {
      CreateLogGroup: (input, ctx) => {
        const name = groupName(input.logGroupName);
        authorize(ctx, 'CreateLogGroup', logs.groupArn(name));
        logs.createGroup(name, tagsInput(input.tags));
        return {};
      },

      DeleteLogGroup: (input, ctx) => {
        const name = groupName(input.logGroupName);
        authorize(ctx, 'DeleteLogGroup', logs.groupArn(name));
        logs.deleteGroup(name);
        return {};
      },

      DescribeLogGroups: (input, ctx) => {
        authorize(ctx, 'DescribeLogGroups', logs.groupArn('*'));
        const prefix = optionalString(input.logGroupNamePrefix, 'logGroupNamePrefix');
        const pattern = optionalString(input.logGroupNamePattern, 'logGroupNamePattern');
        const limit = limitOf(input.limit, 50);
        const groups = logs
          .listGroups()
          .filter((g) => (prefix === undefined || g.name.startsWith(prefix)) && (pattern === undefined || g.name.toLowerCase().includes(pattern.toLowerCase())));
        const page = paginate(groups, input.nextToken, limit);
        return {
          logGroups: page.items.map((g) => describeGroup(logs, g)),
          ...(page.nextToken ? { nextToken: page.nextToken } : {}),
        };
      },

      PutRetentionPolicy: (input, ctx) => {
        const name = groupName(input.logGroupName);
        authorize(ctx, 'PutRetentionPolicy', logs.groupArn(name));
        const days = input.retentionInDays;
        if (typeof days !== 'number' || !RETENTION_DAYS.includes(days)) {
          throw logsErrors.validation(days, 'retentionInDays', `Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
        }
        logs.setRetention(name, days);
        return {};
      },

      DeleteRetentionPolicy: (input, ctx) => {
        const name = groupName(input.logGroupName);
        authorize(ctx, 'DeleteRetentionPolicy', logs.groupArn(name));
        logs.setRetention(name, undefined);
        return {};
      },

      CreateLogStream: (input, ctx) => {
        const group = logs.group(groupName(input.logGroupName));
        const name = streamName(input.logStreamName);
        authorize(ctx, 'CreateLogStream', logs.streamArn(group, name));
        logs.createStream(group, name);
        return {};
      },

      DeleteLogStream: (input, ctx) => {
        const group = logs.group(groupName(input.logGroupName));
        const name = streamName(input.logStreamName);
        authorize(ctx, 'DeleteLogStream', logs.streamArn(group, name));
        logs.deleteStream(group, name);
        return {};
      },

      DescribeLogStreams: (input, ctx) => {
        const group = groupOf(logs, input);
        authorize(ctx, 'DescribeLogStreams', logs.streamArn(group, '*'));
        const orderBy = input.orderBy ?? 'LogStreamName';
        if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') {
          throw logsErrors.validation(orderBy, 'orderBy', 'Member must satisfy enum value set: [LogStreamName, LastEventTime]');
        }
        const prefix = optionalString(input.logStreamNamePrefix, 'logStreamNamePrefix');
        if (prefix !== undefined && orderBy === 'LastEventTime') throw logsErrors.prefixWithLastEventTime();
        const streams = [...group.streams.values()].filter((s) => prefix === undefined || s.info.name.startsWith(prefix));
        if (orderBy === 'LastEventTime') {
          streams.sort((a, b) => (a.info.lastEventTimestamp ?? 0) - (b.info.lastEventTimestamp ?? 0));
        } else {
          streams.sort((a, b) => (a.info.name < b.info.name ? -1 : a.info.name > b.info.name ? 1 : 0));
        }
        if (input.descending === true) streams.reverse();
        const page = paginate(streams, input.nextToken, limitOf(input.limit, 50));
        return {
          logStreams: page.items.map(({ info }) => ({
            logStreamName: info.name,
            creationTime: info.creationTime,
            ...(info.firstEventTimestamp !== undefined ? { firstEventTimestamp: info.firstEventTimestamp } : {}),
            ...(info.lastEventTimestamp !== undefined ? { lastEventTimestamp: info.lastEventTimestamp } : {}),
            ...(info.lastIngestionTime !== undefined ? { lastIngestionTime: info.lastIngestionTime } : {}),
            uploadSequenceToken: sequenceToken(info.sequence),
            arn: logs.streamArn(group, info.name),
            storedBytes: 0,
          })),
          ...(page.nextToken ? { nextToken: page.nextToken } : {}),
        };
      },

      PutLogEvents: (input, ctx) => {
        const group = logs.group(groupName(input.logGroupName));
        const stream = logs.stream(group, streamName(input.logStreamName));
        authorize(ctx, 'PutLogEvents', logs.streamArn(group, stream.info.name));
        const events = input.logEvents;
        if (!Array.isArray(events) || events.length === 0) {
          throw logsErrors.validation(events ?? 'null', 'logEvents', 'Member must have length greater than or equal to 1');
        }
        if (events.length > 10_000) {
          throw logsErrors.validation('[...]', 'logEvents', 'Member must have length less than or equal to 10000');
        }
        const parsed = events.map((e: any) => {
          if (typeof e?.timestamp !== 'number' || typeof e?.message !== 'string' || e.message === '') {
            throw logsErrors.invalidParameter('Each log event must have a timestamp and a non-empty message.');
          }
          return { timestamp: e.timestamp, message: e.message };
        });
        for (let i = 1; i < parsed.length; i++) {
          if (parsed[i].timestamp < parsed[i - 1].timestamp) throw logsErrors.notChronological();
        }
        const rejected = logs.put(group, stream, parsed);
        return {
          nextSequenceToken: sequenceToken(stream.info.sequence),
          ...(Object.keys(rejected).length ? { rejectedLogEventsInfo: rejected } : {}),
        };
      },

      GetLogEvents: (input, ctx) => {
        const group = groupOf(logs, input);
        const stream = logs.stream(group, streamName(input.logStreamName));
        authorize(ctx, 'GetLogEvents', logs.streamArn(group, stream.info.name));
        const limit = limitOf(input.limit, 10_000);
        const events = logs.eventsOf(group, stream, timeOf(input.startTime), timeOf(input.endTime));
        const token = parseStreamToken(input.nextToken);
        // Absolute event indexes [from, to) of the page.
        let from: number;
        let to: number;
        const end = stream.info.firstIndex + stream.events.length;
        if (token?.direction === 'f') {
          const after = events.filter(([i]) => i >= token.index);
          from = after[0]?.[0] ?? token.index;
          to = after.length > limit ? after[limit][0] : Math.max(end, token.index);
        } else if (token?.direction === 'b') {
          const before = events.filter(([i]) => i < token.index);
          const page = before.slice(-limit);
          from = page[0]?.[0] ?? token.index;
          to = token.index;
        } else if (input.startFromHead === true) {
          from = events[0]?.[0] ?? stream.info.firstIndex;
          to = events.length > limit ? events[limit][0] : end;
        } else {
          const page = events.slice(-limit);
          from = page[0]?.[0] ?? end;
          to = end;
        }
        const page = events.filter(([i]) => i >= from && i < to);
        return {
          events: page.map(([, [timestamp, ingestionTime, message]]) => ({ timestamp, message, ingestionTime })),
          nextForwardToken: streamToken('f', to),
          nextBackwardToken: streamToken('b', from),
        };
      },

      FilterLogEvents: (input, ctx) => {
        const group = groupOf(logs, input);
        authorize(ctx, 'FilterLogEvents', logs.groupArn(group.name, true));
        const names = input.logStreamNames as unknown;
        const prefix = optionalString(input.logStreamNamePrefix, 'logStreamNamePrefix');
        if (names !== undefined && prefix !== undefined) throw logsErrors.streamNamesAndPrefix();
        if (names !== undefined && (!Array.isArray(names) || names.length === 0 || names.length > 100)) {
          throw logsErrors.validation(names, 'logStreamNames', 'Member must have length between 1 and 100');
        }
        const matches = compileFilterPattern(optionalString(input.filterPattern, 'filterPattern'));
        const wanted = Array.isArray(names) ? new Set(names.map(String)) : undefined;
        const streams = [...group.streams.values()].filter(
          (s) => (!wanted || wanted.has(s.info.name)) && (prefix === undefined || s.info.name.startsWith(prefix)),
        );
        if (wanted && streams.length === 0) throw logsErrors.streamNotFound();
        const found = [];
        for (const stream of streams) {
          for (const [index, [timestamp, ingestionTime, message]] of logs.eventsOf(
            group,
            stream,
            timeOf(input.startTime),
            timeOf(input.endTime),
          )) {
            if (!matches(message)) continue;
            found.push({ logStreamName: stream.info.name, timestamp, message, ingestionTime, eventId: logs.eventId(group, stream, index) });
          }
        }
        found.sort((a, b) => a.timestamp - b.timestamp || a.ingestionTime - b.ingestionTime || (a.eventId < b.eventId ? -1 : 1));
        const page = paginate(found, input.nextToken, limitOf(input.limit, 10_000));
        return {
          events: page.items,
          searchedLogStreams: [],
          ...(page.nextToken ? { nextToken: page.nextToken } : {}),
        };
      },

      TagResource: (input, ctx) => {
        const group = logs.groupByIdentifier(String(input.resourceArn ?? ''));
        authorize(ctx, 'TagResource', logs.groupArn(group.name));
        logs.tagGroup(group, tagsInput(input.tags));
        return {};
      },

      UntagResource: (input, ctx) => {
        const group = logs.groupByIdentifier(String(input.resourceArn ?? ''));
        authorize(ctx, 'UntagResource', logs.groupArn(group.name));
        logs.untagGroup(group, Array.isArray(input.tagKeys) ? input.tagKeys.map(String) : []);
        return {};
      },

      ListTagsForResource: (input, ctx) => {
        const group = logs.groupByIdentifier(String(input.resourceArn ?? ''));
        authorize(ctx, 'ListTagsForResource', logs.groupArn(group.name));
        return { tags: { ...group.tags } };
      },

      ListTagsLogGroup: (input, ctx) => {
        const group = logs.group(groupName(input.logGroupName));
        authorize(ctx, 'ListTagsLogGroup', logs.groupArn(group.name));
        return { tags: { ...group.tags } };
      },
    },
  };
}

function describeGroup(logs: LogsBackend, group: LogGroup) {
  return {
    logGroupName: group.name,
    creationTime: group.creationTime,
    ...(group.retentionInDays ? { retentionInDays: group.retentionInDays } : {}),
    metricFilterCount: 0,
    arn: logs.groupArn(group.name, true),
    storedBytes: logs.storedBytes(group),
    logGroupClass: 'STANDARD',
    logGroupArn: logs.groupArn(group.name),
  };
}

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]+$/;
const STREAM_NAME = /^[^:*]*$/;

function groupName(value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw logsErrors.validation(value ?? 'null', 'logGroupName', 'Member must not be null');
  }
  if (value.length > 512) throw logsErrors.validation(value, 'logGroupName', 'Member must have length less than or equal to 512');
  if (!GROUP_NAME.test(value)) {
    throw logsErrors.validation(value, 'logGroupName', 'Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+');
  }
  return value;
}

function streamName(value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw logsErrors.validation(value ?? 'null', 'logStreamName', 'Member must not be null');
  }
  if (value.length > 512) throw logsErrors.validation(value, 'logStreamName', 'Member must have length less than or equal to 512');
  if (!STREAM_NAME.test(value)) {
    throw logsErrors.validation(value, 'logStreamName', 'Member must satisfy regular expression pattern: [^:*]*');
  }
  return value;
}

/** logGroupName or logGroupIdentifier (name or ARN), never both. */
function groupOf(logs: LogsBackend, input: Record<string, unknown>): LogGroup {
  if (input.logGroupName !== undefined && input.logGroupIdentifier !== undefined) throw logsErrors.groupNameOrIdentifier();
  if (typeof input.logGroupIdentifier === 'string') return logs.groupByIdentifier(input.logGroupIdentifier);
  return logs.group(groupName(input.logGroupName));
}

function optionalString(value: unknown, member: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw logsErrors.validation(value, member, 'Member must be a string');
  return value;
}

function limitOf(value: unknown, max: number): number {
  if (value === undefined || value === null) return max;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw logsErrors.validation(value, 'limit', 'Member must have value greater than or equal to 1');
  }
  if (value > max) throw logsErrors.validation(value, 'limit', `Member must have value less than or equal to ${max}`);
  return value;
}

function timeOf(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function tagsInput(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

function sequenceToken(sequence: number): string {
  return String(sequence).padStart(56, '0');
}

function streamToken(direction: 'f' | 'b', index: number): string {
  return `${direction}/${String(index).padStart(56, '0')}`;
}

function parseStreamToken(value: unknown): { direction: 'f' | 'b'; index: number } | undefined {
  if (value === undefined || value === null) return undefined;
  const match = typeof value === 'string' ? /^([fb])\/(\d{1,56})$/.exec(value) : null;
  if (!match) throw logsErrors.invalidToken();
  return { direction: match[1] as 'f' | 'b', index: Number(match[2]) };
}

/** Opaque offset tokens for the list operations. */
function paginate<T>(items: T[], token: unknown, limit: number): { items: T[]; nextToken?: string } {
  let offset = 0;
  if (token !== undefined && token !== null) {
    const decoded = typeof token === 'string' ? Number(Buffer.from(token, 'base64url').toString('utf8').replace(/^o:/, '')) : NaN;
    if (!Number.isInteger(decoded) || decoded < 0) throw logsErrors.invalidToken();
    offset = decoded;
  }
  const page = items.slice(offset, offset + limit);
  const next = offset + limit;
  return { items: page, nextToken: next < items.length ? Buffer.from(`o:${next}`).toString('base64url') : undefined };
}
