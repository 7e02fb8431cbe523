import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { partition as sdkPartition } from '@aws-sdk/core/client';

/**
 * AWS is split into partitions — `aws`, `aws-cn` (China), `aws-us-gov` (GovCloud) — each with
 * its own ARNs (`arn:PARTITION:…`) and its own DNS suffix for hosts. Everything here comes from
 * the AWS SDK's partition table, so a region the SDK knows is one the workbook knows.
 */
export interface Partition {
  /** The ARN's second field: "aws", "aws-cn", "aws-us-gov", … */
  partition: string;
  /** Hosts end with it: "amazonaws.com", or "amazonaws.com.cn" in China. */
  dnsSuffix: string;
}

/** The partition a region belongs to, as the SDK resolves it for endpoints. */
export function partitionOfRegion(region: string): Partition {
  const { name, dnsSuffix } = sdkPartition(region);
  return { partition: name, dnsSuffix };
}

/** The partition an ARN names: "arn:aws-cn:iam::123456789012:user/ana" → "aws-cn". */
export function partitionOfArn(arn: string): string {
  const [prefix, partition] = arn.split(':');
  if (prefix !== 'arn' || !partition) throw new Error(`"${arn}" is not an ARN.`);
  return partition;
}

/** A partition's DNS suffix ("aws-cn" → "amazonaws.com.cn"). */
export function dnsSuffixOf(partition: string): string {
  const found = partitionTable()?.find((p) => p.id === partition);
  if (found) return found.outputs.dnsSuffix;
  // Without the table, a region of the partition tells the SDK's answer.
  const probe = PARTITION_PROBE_REGIONS[partition];
  if (probe) return partitionOfRegion(probe).dnsSuffix;
  throw new Error(`The AWS SDK knows no partition "${partition}".`);
}

/** Probe regions for dnsSuffixOf when the SDK's table cannot be read. */
const PARTITION_PROBE_REGIONS: Record<string, string> = { aws: 'us-east-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' };

/** A region a workbook can deploy to: listed in the SDK's table, and not a `*-global` pseudo-region. */
export function isKnownRegion(region: string): boolean {
  if (region.endsWith('-global')) return false;
  const table = partitionTable();
  if (table) return table.some((p) => Object.hasOwn(p.regions, region));
  // The SDK's partition() adds a region's description only when the region is listed.
  return 'description' in sdkPartition(region);
}

/**
 * Why `region` is no region, with the regions of the partition it looks like it belongs to
 * (all of aws, aws-cn and aws-us-gov when it looks like none), and a near miss if there is one.
 */
export function unknownRegionAdvice(region: string): string {
  const table = partitionTable();
  if (!table) return 'see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html for the region codes.';
  const regionsOf = (p: TablePartition) => Object.keys(p.regions).filter((r) => !r.endsWith('-global'));
  const lookalike = table.find((p) => safeRegExp(p.regionRegex)?.test(region));
  const listed = lookalike ? [lookalike] : table.filter((p) => LEARNER_PARTITIONS.includes(p.id));
  const squashed = region.toLowerCase().replace(/[^a-z0-9]/g, '');
  const nearMiss = table.flatMap(regionsOf).find((r) => r.replace(/-/g, '') === squashed);
  const lists = listed.map((p) => `${p.id}: ${regionsOf(p).join(', ')}`).join('; ');
  const newer = lookalike ? ' If AWS opened this region after your AWS SDK was released, update the SDK (`npm update`).' : '';
  return `${nearMiss ? `did you mean ${nearMiss}? ` : ''}The regions are — ${lists}.${newer}`;
}

const LEARNER_PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'];

/** The ARN of an AWS managed policy, e.g. "service-role/AWSLambdaBasicExecutionRole", in a partition. */
export function managedPolicyArn(partition: string, name: string): string {
  return `arn:${partition}:iam::aws:policy/${name}`;
}

/** arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, for the few ARNs no API call returns. */
export function buildArn(p: { partition: string; service: string; region: string; account: string; resource: string }): string {
  return `arn:${p.partition}:${p.service}:${p.region}:${p.account}:${p.resource}`;
}

interface TablePartition {
  id: string;
  outputs: { dnsSuffix: string };
  regionRegex: string;
  regions: Record<string, unknown>;
}

let table: TablePartition[] | null | undefined;

/**
 * The SDK's partition table (partitions.json, as @aws-sdk/core ships it), read once. The SDK
 * exports a lookup by region but not the list of regions, which the advice above needs; when a
 * later SDK moves the file, the helpers fall back to the lookup and the advice to AWS's docs.
 */
function partitionTable(): TablePartition[] | null {
  if (table !== undefined) return table;
  try {
    const root = dirname(createRequire(import.meta.url).resolve('@aws-sdk/core/package.json'));
    const source = readFileSync(join(root, 'dist-es', 'submodules', 'client', 'util-endpoints', 'lib', 'aws', 'partitions.js'), 'utf8');
    const parsed = JSON.parse(source.slice(source.indexOf('{'), source.lastIndexOf('}') + 1)) as { partitions?: TablePartition[] };
    table = Array.isArray(parsed.partitions) ? parsed.partitions : null;
  } catch {
    table = null;
  }
  return table;
}

function safeRegExp(source: string): RegExp | undefined {
  try {
    return new RegExp(source);
  } catch {
    return undefined;
  }
}
