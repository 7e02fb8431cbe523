import { XMLBuilder } from 'fast-xml-parser';
import { AwsError, commonErrors } from './errors.ts';
import type { CallContext } from '../core/context.ts';

/**
 * The query protocol (SNS, IAM, STS, and SQS as the aws CLI speaks it): a form-encoded body with
 * `Action=...`, answered in XML. Lists and maps arrive flattened (`Attribute.1.Name=...`), so
 * this module gives services small readers for those shapes.
 */
export class QueryParams {
  constructor(readonly raw: Record<string, string>) {}

  static parse(body: string): QueryParams {
    const raw: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(body)) raw[key] = value;
    return new QueryParams(raw);
  }

  get action(): string | undefined {
    return this.raw.Action;
  }

  get(name: string): string | undefined {
    return this.raw[name];
  }

  required(name: string): string {
    const value = this.raw[name];
    if (value === undefined || value === '') throw commonErrors.missingParameter(name);
    return value;
  }

  int(name: string): number | undefined {
    const value = this.raw[name];
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n)) {
      throw new AwsError('InvalidParameterValue', `Value ${value} for parameter ${name} is invalid.`);
    }
    return n;
  }

  /**
   * A list: `Prefix.1`, `Prefix.2`… (flattened) or `Prefix.member.1`… (wrapped).
   * Returns the values in index order.
   */
  list(prefix: string): string[] {
    return this.indexed(prefix).map((i) => this.raw[`${prefix}.${i}`] ?? this.raw[`${prefix}.member.${i}`]);
  }

  /**
   * A list of structures: `Prefix.N.Field` or `Prefix.member.N.Field`.
   * Each entry is a QueryParams scoped to that element.
   */
  structs(prefix: string): QueryParams[] {
    const out: QueryParams[] = [];
    for (const i of this.indexed(prefix)) {
      const sub: Record<string, string> = {};
      for (const base of [`${prefix}.${i}.`, `${prefix}.member.${i}.`]) {
        for (const [key, value] of Object.entries(this.raw)) {
          if (key.startsWith(base)) sub[key.slice(base.length)] = value;
        }
      }
      out.push(new QueryParams(sub));
    }
    return out;
  }

  /**
   * A map: `Prefix.N.Name/Value` (SQS attributes), `Prefix.entry.N.key/value` (SNS attributes),
   * `Prefix.member.N.Key/Value` (tags). Key and value field names are given by the caller.
   */
  map(prefix: string, keyField: string, valueField: string): Record<string, string> {
    const out: Record<string, string> = {};
    const entries = [...this.structs(prefix), ...this.structs(`${prefix}.entry`)];
    for (const entry of entries) {
      const key = entry.get(keyField);
      if (key !== undefined) out[key] = entry.get(valueField) ?? '';
    }
    return out;
  }

  /**
   * Message attributes as SQS and SNS take them: `Prefix.N.Name` with `Prefix.N.Value.DataType`,
   * `.StringValue` and `.BinaryValue` (base64). Undefined when there are none.
   */
  messageAttributes(prefix: string): Record<string, QueryMessageAttribute> | undefined {
    const entries = this.structs(prefix);
    if (entries.length === 0) return undefined;
    const out: Record<string, QueryMessageAttribute> = {};
    for (const entry of entries) {
      const binary = entry.get('Value.BinaryValue');
      out[entry.get('Name') ?? ''] = {
        DataType: entry.get('Value.DataType'),
        StringValue: entry.get('Value.StringValue'),
        BinaryValue: binary === undefined ? undefined : Buffer.from(binary, 'base64'),
      };
    }
    return out;
  }

  private indexed(prefix: string): number[] {
    const indexes = new Set<number>();
    const re = new RegExp(`^${escapeRegExp(prefix)}\\.(?:member\\.)?(\\d+)(?:\\.|$)`);
    for (const key of Object.keys(this.raw)) {
      const match = re.exec(key);
      if (match) indexes.add(Number(match[1]));
    }
    return [...indexes].sort((a, b) => a - b);
  }
}

/** A message attribute as a query request carries it, before the service validates it. */
export interface QueryMessageAttribute {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: Buffer;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An XML tree as fast-xml-parser builds it: arrays become repeated elements. */
export type XmlValue = string | number | boolean | null | undefined | XmlObject | XmlValue[];
export interface XmlObject {
  [element: string]: XmlValue;
}

export type QueryAction = (params: QueryParams, ctx: CallContext) => XmlObject | void | Promise<XmlObject | void>;

export interface QueryService {
  /** Namespace of the response documents, e.g. https://iam.amazonaws.com/doc/2010-05-08/ */
  xmlns: string;
  actions: Record<string, QueryAction>;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  processEntities: true,
});

export function buildXml(tree: XmlObject): string {
  // A bare CR in text would reach the reader as LF (XML normalises line ends); AWS writes it as a
  // character reference, so a message body keeps its exact bytes.
  const xml = (builder.build(tree) as string).replaceAll('\r', '&#xD;');
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
}

export async function callQueryAction(
  service: QueryService,
  params: QueryParams,
  ctx: CallContext,
): Promise<string> {
  const action = params.action;
  if (!action) throw commonErrors.missingParameter('Action');
  const handler = Object.hasOwn(service.actions, action) ? service.actions[action] : undefined;
  if (!handler) throw commonErrors.invalidAction(action);
  const result = await handler(params, ctx);
  const body: XmlObject = { '@_xmlns': service.xmlns };
  if (result) body[`${action}Result`] = result;
  body.ResponseMetadata = { RequestId: ctx.requestId };
  return buildXml({ [`${action}Response`]: body });
}

export function queryErrorXml(err: AwsError, requestId: string, xmlns: string | undefined): string {
  const error: XmlObject = { Type: err.fault, Code: err.queryCode, Message: err.queryMessage };
  const root: XmlObject = { Error: error, RequestId: requestId };
  if (xmlns) root['@_xmlns'] = xmlns;
  return buildXml({ ErrorResponse: root });
}
