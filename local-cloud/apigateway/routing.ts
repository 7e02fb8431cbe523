import { own } from '../core/dict.ts';
import type { MethodRecord, ResourceRecord } from './model.ts';

export interface RouteMatch {
  resource: ResourceRecord;
  method: MethodRecord;
  /** null when the resource path has no {param}, as in the proxy event. */
  pathParameters: Record<string, string> | null;
}

/**
 * Finds the deployed method for a request path (the part after the stage) the way API Gateway
 * does: literal path parts win over a {param}, which wins over a greedy {proxy+}; a method
 * falls back to ANY. Path parameter values stay as sent (API Gateway does not percent-decode
 * them). Returns undefined for no route, which callers answer with 403.
 */
export function matchRoute(resources: ResourceRecord[], requestPath: string, httpMethod: string): RouteMatch | undefined {
  const children = new Map<string | undefined, ResourceRecord[]>();
  for (const r of resources) {
    const siblings = children.get(r.parentId) ?? [];
    siblings.push(r);
    children.set(r.parentId, siblings);
  }
  const root = children.get(undefined)?.[0];
  if (!root) return undefined;

  const trimmed = requestPath.replace(/^\/+/, '').replace(/\/$/, '');
  const segments = trimmed === '' ? [] : trimmed.split('/');
  const found = descend(root, segments, children, {});
  if (!found) return undefined;
  const method = own(found.resource.methods, httpMethod) ?? own(found.resource.methods, 'ANY');
  if (!method) return undefined;
  const hasParams = Object.keys(found.params).length > 0;
  return { resource: found.resource, method, pathParameters: hasParams ? found.params : null };
}

function descend(
  resource: ResourceRecord,
  segments: string[],
  children: Map<string | undefined, ResourceRecord[]>,
  params: Record<string, string>,
): { resource: ResourceRecord; params: Record<string, string> } | undefined {
  if (segments.length === 0) return { resource, params };
  const [head, ...rest] = segments;
  const kids = children.get(resource.id) ?? [];
  const literal = kids.find((k) => k.pathPart === head);
  if (literal) {
    const found = descend(literal, rest, children, params);
    if (found) return found;
  }
  const variable = kids.find((k) => k.pathPart?.startsWith('{') && !k.pathPart.endsWith('+}'));
  if (variable && head !== '') {
    const found = descend(variable, rest, children, { ...params, [paramName(variable)]: head });
    if (found) return found;
  }
  const greedy = kids.find((k) => k.pathPart?.endsWith('+}'));
  if (greedy) return { resource: greedy, params: { ...params, [paramName(greedy)]: segments.join('/') } };
  return undefined;
}

function paramName(resource: ResourceRecord): string {
  return resource.pathPart!.replace(/^\{/, '').replace(/\+?\}$/, '');
}
