import { dict } from '../core/dict.ts';
import type { CallContext } from '../core/context.ts';
import { commonErrors } from '../protocol/errors.ts';
import type { RestRequest, RestResponse, RestRoute, RestService } from '../protocol/restJson.ts';
import type { ApigatewayBackend } from './backend.ts';
import type { DeploymentRecord, MethodRecord, ResourceRecord } from './model.ts';
import { apigatewayErrors as errors } from './errors.ts';

type Handler = (req: RestRequest, input: Record<string, any>) => unknown;

/**
 * API Gateway's control plane on the wire: REST-JSON, signing name "apigateway". Lists come
 * back under the wire key "item" (the SDK and CLI show them as `items`), timestamps as epoch
 * seconds, errors as {"message": ...} with x-amzn-errortype.
 */
export function apigatewayRest(backend: ApigatewayBackend): RestService {
  const route = (method: string, path: string, operation: string, status: number, handler: Handler): RestRoute => ({
    method,
    path,
    operation,
    handler: (req: RestRequest, ctx: CallContext): RestResponse => {
      // IAM names API Gateway actions by HTTP verb on the resource's path.
      ctx.cloud.authorize(ctx, `apigateway:${method}`, `arn:aws:apigateway:${ctx.region}::${req.path}`);
      const body = handler(req, parseBody(req));
      return { status, body: body === undefined ? undefined : body };
    },
  });
  const p = (req: RestRequest, name: string) => req.params[name];
  const b = () => backend;

  const routes: RestRoute[] = [
    // REST APIs
    route('POST', '/restapis', 'CreateRestApi', 201, (_r, input) => b().createRestApi(input)),
    route('GET', '/restapis', 'GetRestApis', 200, (r) => page(b().getRestApis(), r.query)),
    route('GET', '/restapis/{restApiId}', 'GetRestApi', 200, (r) => b().getRestApi(p(r, 'restApiId'))),
    route('DELETE', '/restapis/{restApiId}', 'DeleteRestApi', 202, (r) => void b().deleteRestApi(p(r, 'restApiId'))),

    // Resources
    route('GET', '/restapis/{restApiId}/resources', 'GetResources', 200, (r) =>
      page(b().getResources(p(r, 'restApiId')), r.query, (res) => resourceView(res, embedsMethods(r))),
    ),
    route('GET', '/restapis/{restApiId}/resources/{resourceId}', 'GetResource', 200, (r) =>
      resourceView(b().getResource(p(r, 'restApiId'), p(r, 'resourceId')), embedsMethods(r)),
    ),
    route('POST', '/restapis/{restApiId}/resources/{parentId}', 'CreateResource', 201, (r, input) =>
      resourceView(b().createResource(p(r, 'restApiId'), p(r, 'parentId'), input.pathPart), false),
    ),
    route('DELETE', '/restapis/{restApiId}/resources/{resourceId}', 'DeleteResource', 202, (r) =>
      void b().deleteResource(p(r, 'restApiId'), p(r, 'resourceId')),
    ),

    // Methods and method responses
    ...methodRoutes(route, b),

    // Deployments
    route('POST', '/restapis/{restApiId}/deployments', 'CreateDeployment', 201, (r, input) =>
      deploymentView(b().createDeployment(p(r, 'restApiId'), input)),
    ),
    route('GET', '/restapis/{restApiId}/deployments', 'GetDeployments', 200, (r) =>
      page(b().getDeployments(p(r, 'restApiId')), r.query, deploymentView),
    ),
    route('GET', '/restapis/{restApiId}/deployments/{deploymentId}', 'GetDeployment', 200, (r) =>
      deploymentView(b().getDeployment(p(r, 'restApiId'), p(r, 'deploymentId'))),
    ),
    route('DELETE', '/restapis/{restApiId}/deployments/{deploymentId}', 'DeleteDeployment', 202, (r) =>
      void b().deleteDeployment(p(r, 'restApiId'), p(r, 'deploymentId')),
    ),

    // Stages
    route('POST', '/restapis/{restApiId}/stages', 'CreateStage', 201, (r, input) => b().createStage(p(r, 'restApiId'), input)),
    route('GET', '/restapis/{restApiId}/stages', 'GetStages', 200, (r) => ({
      item: b().getStages(p(r, 'restApiId'), r.query.get('deploymentId') ?? undefined),
    })),
    route('GET', '/restapis/{restApiId}/stages/{stageName}', 'GetStage', 200, (r) =>
      b().getStage(p(r, 'restApiId'), p(r, 'stageName')),
    ),
    route('PATCH', '/restapis/{restApiId}/stages/{stageName}', 'UpdateStage', 200, (r, input) =>
      b().updateStage(p(r, 'restApiId'), p(r, 'stageName'), input.patchOperations ?? []),
    ),
    route('DELETE', '/restapis/{restApiId}/stages/{stageName}', 'DeleteStage', 202, (r) =>
      void b().deleteStage(p(r, 'restApiId'), p(r, 'stageName')),
    ),

    // Tags
    route('PUT', '/tags/{resourceArn}', 'TagResource', 204, (r, input) => void b().tagResource(p(r, 'resourceArn'), input.tags ?? {})),
    route('DELETE', '/tags/{resourceArn}', 'UntagResource', 204, (r) =>
      void b().untagResource(p(r, 'resourceArn'), r.query.getAll('tagKeys')),
    ),
    route('GET', '/tags/{resourceArn}', 'GetTags', 200, (r) => ({ tags: b().getTags(p(r, 'resourceArn')) })),
  ];

  return {
    signingName: 'apigateway',
    malformedPath: errors.malformedPath,
    routes,
    // API Gateway's own shape; its request-validation layer says "Message".
    errorBody: (err) => (err.code === 'ValidationException' ? { Message: err.message } : { message: err.message }),
  };
}

type RouteFactory = (method: string, path: string, operation: string, status: number, handler: Handler) => RestRoute;

function methodRoutes(route: RouteFactory, b: () => ApigatewayBackend): RestRoute[] {
  const base = '/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}';
  const ids = (r: RestRequest) => [r.params.restApiId, r.params.resourceId, r.params.httpMethod] as const;
  return [
    route('PUT', base, 'PutMethod', 201, (r, input) => b().putMethod(...ids(r), input)),
    route('GET', base, 'GetMethod', 200, (r) => b().getMethod(...ids(r))),
    route('DELETE', base, 'DeleteMethod', 204, (r) => void b().deleteMethod(...ids(r))),

    route('PUT', `${base}/responses/{statusCode}`, 'PutMethodResponse', 201, (r, input) =>
      b().putMethodResponse(...ids(r), r.params.statusCode, input),
    ),
    route('GET', `${base}/responses/{statusCode}`, 'GetMethodResponse', 200, (r) =>
      b().getMethodResponse(...ids(r), r.params.statusCode),
    ),

    route('PUT', `${base}/integration`, 'PutIntegration', 201, (r, input) => b().putIntegration(...ids(r), input)),
    route('GET', `${base}/integration`, 'GetIntegration', 200, (r) => b().getIntegration(...ids(r))),
    route('DELETE', `${base}/integration`, 'DeleteIntegration', 204, (r) => void b().deleteIntegration(...ids(r))),

    route('PUT', `${base}/integration/responses/{statusCode}`, 'PutIntegrationResponse', 201, (r, input) =>
      b().putIntegrationResponse(...ids(r), r.params.statusCode, input),
    ),
    route('GET', `${base}/integration/responses/{statusCode}`, 'GetIntegrationResponse', 200, (r) =>
      b().getIntegrationResponse(...ids(r), r.params.statusCode),
    ),
  ];
}

function parseBody(req: RestRequest): Record<string, any> {
  if (req.body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(req.body.toString('utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, any>) : {};
  } catch {
    throw commonErrors.serialization('Request body is not valid JSON');
  }
}

/** AWS pages these lists: `limit` (default 25, at most 500) and an opaque `position`. */
function page<T>(items: T[], query: URLSearchParams, view: (item: T) => unknown = (x) => x) {
  const limit = Math.min(Math.max(Number(query.get('limit')) || 25, 1), 500);
  const start = Number(query.get('position') ?? 0) || 0;
  const next = start + limit;
  return { item: items.slice(start, next).map(view), position: next < items.length ? String(next) : undefined };
}

function embedsMethods(req: RestRequest): boolean {
  return req.query.getAll('embed').some((e) => e.split(',').includes('methods'));
}

/** Without embed=methods a resource lists its methods as empty objects, as AWS does. */
function resourceView(resource: ResourceRecord, embed: boolean) {
  const methods = Object.keys(resource.methods);
  const resourceMethods = dict<MethodRecord | Record<string, never>>();
  for (const m of methods) resourceMethods[m] = embed ? resource.methods[m] : {};
  return {
    id: resource.id,
    parentId: resource.parentId,
    pathPart: resource.pathPart,
    path: resource.path,
    resourceMethods: methods.length ? resourceMethods : undefined,
  };
}

function deploymentView(deployment: DeploymentRecord) {
  return { id: deployment.id, description: deployment.description, createdDate: deployment.createdDate };
}
