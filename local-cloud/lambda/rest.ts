import type { Cloud } from '../cloud.ts';
import type { CallContext } from '../core/context.ts';
import { AwsError } from '../protocol/errors.ts';
import type { RestRequest, RestResponse, RestService } from '../protocol/restJson.ts';
import type { InvocationType } from './backend.ts';
import { lambdaErrors } from './errors.ts';
import { checkUploadSize } from './code/limits.ts';
import { eventInvokeConfigRoutes } from './async/rest.ts';
import { eventSourceMappingRoutes } from './event-source-mappings/rest.ts';
import { checkPermissionAction, checkSourceArn, checkStatementId } from './validate.ts';

/**
 * Lambda's REST-JSON wire adapter (API version 2015-03-31, tags 2017-03-31). Errors carry
 * x-amzn-errortype and a body {"Type": "User", "Message": ...}, as Lambda's do.
 */
export function lambdaRest(cloud: Cloud): RestService {
  const lambda = cloud.lambda;
  const authorize = (ctx: CallContext, action: string, resource: string) => ctx.cloud.authorize(ctx, `lambda:${action}`, resource);
  const fnParam = (req: RestRequest) => req.params.FunctionName;
  const qualifier = (req: RestRequest) => req.query.get('Qualifier') ?? undefined;

  return {
    signingName: 'lambda',
    malformedPath: (value) => lambdaErrors.invalidParameter(`Invalid request path: malformed percent-encoding in ${value}`),
    errorBody: (err) => ({ Type: err.fault === 'Sender' ? 'User' : 'Service', Message: err.message }),
    routes: [
      {
        method: 'POST',
        path: '/2015-03-31/functions',
        operation: 'CreateFunction',
        handler: async (req, ctx) => {
          const input = jsonBody(req);
          if (typeof input.FunctionName === 'string') authorize(ctx, 'CreateFunction', lambda.arnOf(input.FunctionName));
          if (typeof input.Role === 'string') ctx.cloud.authorize(ctx, 'iam:PassRole', input.Role);
          checkUploadSize('CreateFunction', req.body.length, input.Code?.ZipFile);
          return { status: 201, body: await lambda.createFunction(input) };
        },
      },
      {
        method: 'GET',
        path: '/2015-03-31/functions',
        operation: 'ListFunctions',
        handler: (req, ctx) => {
          authorize(ctx, 'ListFunctions', '*');
          const maxItems = req.query.get('MaxItems');
          return { body: lambda.listFunctions(req.query.get('Marker') ?? undefined, maxItems === null ? undefined : Number(maxItems)) };
        },
      },
      {
        method: 'GET',
        path: '/2015-03-31/functions/{FunctionName}',
        operation: 'GetFunction',
        handler: async (req, ctx) => {
          authorize(ctx, 'GetFunction', lambda.arnOf(fnParam(req)));
          return { body: await lambda.getFunction(fnParam(req), qualifier(req)) };
        },
      },
      {
        method: 'DELETE',
        path: '/2015-03-31/functions/{FunctionName}',
        operation: 'DeleteFunction',
        handler: async (req, ctx) => {
          authorize(ctx, 'DeleteFunction', lambda.arnOf(fnParam(req)));
          await lambda.deleteFunction(fnParam(req), qualifier(req));
          return { status: 204 };
        },
      },
      {
        method: 'GET',
        path: '/2015-03-31/functions/{FunctionName}/configuration',
        operation: 'GetFunctionConfiguration',
        handler: async (req, ctx) => {
          authorize(ctx, 'GetFunctionConfiguration', lambda.arnOf(fnParam(req)));
          return { body: await lambda.getFunctionConfiguration(fnParam(req), qualifier(req)) };
        },
      },
      {
        method: 'PUT',
        path: '/2015-03-31/functions/{FunctionName}/configuration',
        operation: 'UpdateFunctionConfiguration',
        handler: async (req, ctx) => {
          authorize(ctx, 'UpdateFunctionConfiguration', lambda.arnOf(fnParam(req)));
          const input = jsonBody(req);
          if (typeof input.Role === 'string') ctx.cloud.authorize(ctx, 'iam:PassRole', input.Role);
          return { body: await lambda.updateFunctionConfiguration(fnParam(req), input) };
        },
      },
      {
        method: 'PUT',
        path: '/2015-03-31/functions/{FunctionName}/code',
        operation: 'UpdateFunctionCode',
        handler: async (req, ctx) => {
          authorize(ctx, 'UpdateFunctionCode', lambda.arnOf(fnParam(req)));
          const input = jsonBody(req);
          checkUploadSize('UpdateFunctionCode', req.body.length, input.ZipFile);
          return { body: await lambda.updateFunctionCode(fnParam(req), input) };
        },
      },
      {
        method: 'POST',
        path: '/2015-03-31/functions/{FunctionName}/invocations',
        operation: 'Invoke',
        handler: async (req, ctx) => {
          authorize(ctx, 'InvokeFunction', lambda.arnOf(fnParam(req)));
          const clientContext = header(req, 'x-amz-client-context');
          const out = await lambda.invoke(fnParam(req), req.body, {
            invocationType: (header(req, 'x-amz-invocation-type') ?? 'RequestResponse') as InvocationType,
            logType: logTypeOf(header(req, 'x-amz-log-type')),
            qualifier: qualifier(req),
            clientContext: clientContext ? Buffer.from(clientContext, 'base64').toString('utf8') : undefined,
            requestId: ctx.requestId,
          });
          const headers: Record<string, string> = {};
          if (out.executedVersion) headers['x-amz-executed-version'] = out.executedVersion;
          if (out.functionError) headers['x-amz-function-error'] = out.functionError;
          if (out.logResult !== undefined) headers['x-amz-log-result'] = out.logResult;
          if (out.statusCode !== 200) return { status: out.statusCode, headers };
          return { status: 200, headers: { ...headers, 'content-type': 'application/json' }, body: out.payload };
        },
      },
      {
        method: 'POST',
        path: '/2015-03-31/functions/{FunctionName}/policy',
        operation: 'AddPermission',
        handler: async (req, ctx) => {
          authorize(ctx, 'AddPermission', lambda.arnOf(fnParam(req)));
          const input = jsonBody(req);
          const statement = await lambda.addPermission(fnParam(req), {
            StatementId: checkStatementId(input.StatementId),
            Action: checkPermissionAction(input.Action),
            Principal: requiredString(input.Principal, 'principal'),
            SourceArn: checkSourceArn(input.SourceArn),
            SourceAccount: optionalString(input.SourceAccount),
            EventSourceToken: optionalString(input.EventSourceToken),
            PrincipalOrgID: optionalString(input.PrincipalOrgID),
            FunctionUrlAuthType: optionalString(input.FunctionUrlAuthType),
            Qualifier: qualifier(req),
            RevisionId: optionalString(input.RevisionId),
          });
          return { status: 201, body: { Statement: statement } };
        },
      },
      {
        method: 'GET',
        path: '/2015-03-31/functions/{FunctionName}/policy',
        operation: 'GetPolicy',
        handler: async (req, ctx) => {
          authorize(ctx, 'GetPolicy', lambda.arnOf(fnParam(req)));
          return { body: await lambda.getPolicy(fnParam(req), qualifier(req)) };
        },
      },
      {
        method: 'DELETE',
        path: '/2015-03-31/functions/{FunctionName}/policy/{StatementId}',
        operation: 'RemovePermission',
        handler: async (req, ctx) => {
          authorize(ctx, 'RemovePermission', lambda.arnOf(fnParam(req)));
          await lambda.removePermission(fnParam(req), req.params.StatementId, req.query.get('RevisionId') ?? undefined);
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        path: '/2017-03-31/tags/{Resource}',
        operation: 'TagResource',
        handler: (req, ctx) => {
          authorize(ctx, 'TagResource', req.params.Resource);
          const tags = jsonBody(req).Tags;
          if (!tags || typeof tags !== 'object') throw lambdaErrors.validation(undefined, 'tags', 'Member must not be null');
          lambda.tagResource(req.params.Resource, stringMap(tags));
          return { status: 204 };
        },
      },
      {
        method: 'DELETE',
        path: '/2017-03-31/tags/{Resource}',
        operation: 'UntagResource',
        handler: (req, ctx) => {
          authorize(ctx, 'UntagResource', req.params.Resource);
          lambda.untagResource(req.params.Resource, req.query.getAll('tagKeys'));
          return { status: 204 };
        },
      },
      {
        method: 'GET',
        path: '/2017-03-31/tags/{Resource}',
        operation: 'ListTags',
        handler: (req, ctx) => {
          authorize(ctx, 'ListTags', req.params.Resource);
          return { body: { Tags: lambda.listTags(req.params.Resource) } };
        },
      },
      ...eventSourceMappingRoutes(cloud),
      ...eventInvokeConfigRoutes(cloud),
    ],
  };
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

function header(req: RestRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function requiredString(value: unknown, member: string): string {
  if (typeof value !== 'string' || value === '') throw lambdaErrors.validation(value, member, 'Member must not be null');
  return value;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringMap(value: object): Record<string, string> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

/** X-Amz-Log-Type: Tail, None, or absent (None). */
function logTypeOf(value: string | undefined): 'Tail' | 'None' {
  if (value === undefined || value === 'None' || value === 'Tail') return value ?? 'None';
  throw lambdaErrors.validation(value, 'logType', 'Member must satisfy enum value set: [Tail, None]');
}
