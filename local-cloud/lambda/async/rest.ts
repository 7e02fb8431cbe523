import type { Cloud } from '../../cloud.ts';
import type { CallContext } from '../../core/context.ts';
import { AwsError } from '../../protocol/errors.ts';
import type { RestRequest, RestRoute } from '../../protocol/restJson.ts';

const PATH = '/2019-09-25/functions/{FunctionName}/event-invoke-config';

/** Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s) on Lambda's REST-JSON wire. */
export function eventInvokeConfigRoutes(cloud: Cloud): RestRoute[] {
  const configs = () => cloud.lambda.asyncInvocations.configs;
  const authorize = (ctx: CallContext, action: string, req: RestRequest) =>
    ctx.cloud.authorize(ctx, `lambda:${action}`, cloud.lambda.arnOf(req.params.FunctionName));
  const qualifier = (req: RestRequest) => req.query.get('Qualifier') ?? undefined;

  return [
    {
      method: 'PUT',
      path: PATH,
      operation: 'PutFunctionEventInvokeConfig',
      handler: async (req, ctx) => {
        authorize(ctx, 'PutFunctionEventInvokeConfig', req);
        return { body: await configs().put(req.params.FunctionName, qualifier(req), jsonBody(req)) };
      },
    },
    {
      method: 'POST',
      path: PATH,
      operation: 'UpdateFunctionEventInvokeConfig',
      handler: async (req, ctx) => {
        authorize(ctx, 'UpdateFunctionEventInvokeConfig', req);
        return { body: await configs().update(req.params.FunctionName, qualifier(req), jsonBody(req)) };
      },
    },
    {
      method: 'GET',
      path: PATH,
      operation: 'GetFunctionEventInvokeConfig',
      handler: async (req, ctx) => {
        authorize(ctx, 'GetFunctionEventInvokeConfig', req);
        return { body: await configs().get(req.params.FunctionName, qualifier(req)) };
      },
    },
    {
      method: 'DELETE',
      path: PATH,
      operation: 'DeleteFunctionEventInvokeConfig',
      handler: async (req, ctx) => {
        authorize(ctx, 'DeleteFunctionEventInvokeConfig', req);
        await configs().delete(req.params.FunctionName, qualifier(req));
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: `${PATH}/list`,
      operation: 'ListFunctionEventInvokeConfigs',
      handler: async (req, ctx) => {
        authorize(ctx, 'ListFunctionEventInvokeConfigs', req);
        return { body: await configs().list(req.params.FunctionName) };
      },
    },
  ];
}

function jsonBody(req: RestRequest): Record<string, any> {
  if (req.body.length === 0) return {};
  try {
    const parsed = JSON.parse(req.body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    // fall through
  }
  throw new AwsError('SerializationException', 'The request body could not be parsed as a JSON object.');
}
