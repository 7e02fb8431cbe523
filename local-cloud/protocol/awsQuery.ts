import { dict, own, type Dict } from '../core/dict.ts';
import { XMLBuilder } from 'fast-xml-parser';
import { AwsError, commonErrors } from './errors.ts';
import type { CallContext } from '../core/context.ts';

/**
 * The query protocol (SNS, IAM, STS, and SQS as the aws CLI speaks it): a form-encoded body with
 * `Action=...`, answered in XML. Lists and maps arrive flattened (`Attribute.1.Name=...`), so
 * this module gives services small readers for those shapes.
 */
export class QueryParams {
  /** Parameters by name, prototype-free: a client may name a parameter "__proto__". */
  readonly raw: Dict<string>;

  constructor(raw: Readonly<Record<string, string>>) {
    this.raw = dict(raw);
  }

  /** A repeated parameter keeps its first value. */
  static parse(body: string): QueryParams {
    const raw = dict<string>();
    for (const [key, value] of new URLSearchParams(body)) if (!Object.hasOwn(raw, key)) raw[key] = value;
    return new QueryParams(raw);
  }

  get action(): string | undefined {
    return this.get('Action');
  }

  get(name: string): string | undefined {
    return own(this.raw, name);
  }

  required(name: string): string {
    const value = this.get(name);
    if (value === undefined || value === '') throw commonErrors.missingParameter(name);
    return value;
  }

  int(name: string): number | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(n)) {
      throw new AwsError('InvalidParameterValue', `Value ${value} for parameter ${name} is invalid.`);
    }
    return n;
  }

  /**
   * A list: `Prefix.1`, `Prefix.2`… (flattened) or `Prefix.member.1`… (wrapped).
   * Returns the values in index order.
   */
  list(prefix: string): string[] {
    return this.elements(prefix).map((fields) => own(fields, '') ?? '');
  }

  /**
   * A list of structures: `Prefix.N.Field` or `Prefix.member.N.Field`.
   * Each entry is a QueryParams scoped to that element.
   */
  structs(prefix: string): QueryParams[] {
    return this.elements(prefix).map((fields) => new QueryParams(fields));
  }

  /**
   * A map: `Prefix.N.Name/Value` (SQS attributes), `Prefix.entry.N.key/value` (SNS attributes),
   * `Prefix.member.N.Key/Value` (tags). Key and value field names are given by the caller.
   */
  map(prefix: string, keyField: string, valueField: string): Dict<string> {
    const out = dict<string>();
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
  messageAttributes(prefix: string): Dict<QueryMessageAttribute> | undefined {
    const entries = this.structs(prefix);
    if (entries.length === 0) return undefined;
    const out = dict<QueryMessageAttribute>();
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

  /**
   * The elements of a flattened list in index order, each as its fields ("" for the element's own
   * value). One pass over the parameters, so thousands of them stay cheap.
   */
  private elements(prefix: string): Dict<string>[] {
    const byIndex = new Map<number, Dict<string>>();
    const re = new RegExp(`^${escapeRegExp(prefix)}\\.(?:member\\.)?(\\d+)(?:\\.(.*))?$`, 's');
    for (const [key, value] of Object.entries(this.raw)) {
      const match = re.exec(key);
      if (!match) continue;
      const index = Number(match[1]);
      let fields = byIndex.get(index);
      if (!fields) byIndex.set(index, (fields = dict()));
      const field = match[2] ?? '';
      if (!Object.hasOwn(fields, field)) fields[field] = value;
    }
    return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, fields]) => fields);
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
