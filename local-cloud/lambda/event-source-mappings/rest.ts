import type { Cloud } from '../../cloud.ts';
import { AwsError } from '../../protocol/errors.ts';
import type { RestRequest, RestRoute } from '../../protocol/restJson.ts';
import { lambdaErrors } from '../errors.ts';

const PATH = '/2015-03-31/event-source-mappings';

/** Create/Get/List/Update/DeleteEventSourceMapping on Lambda's REST-JSON wire (202 for the changes). */
export function eventSourceMappingRoutes(cloud: Cloud): RestRoute[] {
  const mappings = () => cloud.lambda.eventSourceMappings;

  return [
    {
      method: 'POST',
      path: PATH,
      operation: 'CreateEventSourceMapping',
      handler: async (req, ctx) => {
        const input = jsonBody(req);
        // IAM names no resource for CreateEventSourceMapping (the function is a condition key).
        ctx.cloud.authorize(ctx, 'lambda:CreateEventSourceMapping', '*');
        return { status: 202, body: await mappings().create(input) };
      },
    },
    {
      method: 'GET',
      path: PATH,
      operation: 'ListEventSourceMappings',
      handler: (req, ctx) => {
        ctx.cloud.authorize(ctx, 'lambda:ListEventSourceMappings', '*');
        const maxItems = req.query.get('MaxItems');
        return {
          body: mappings().list({
            eventSourceArn: req.query.get('EventSourceArn') ?? undefined,
            functionName: req.query.get('FunctionName') ?? undefined,
            marker: req.query.get('Marker') ?? undefined,
            maxItems: maxItems === null ? undefined : integer(maxItems, 'maxItems'),
          }),
        };
      },
    },
    {
      method: 'GET',
      path: `${PATH}/{UUID}`,
      operation: 'GetEventSourceMapping',
      handler: (req, ctx) => {
        ctx.cloud.authorize(ctx, 'lambda:GetEventSourceMapping', mappings().arnOf(req.params.UUID));
        return { body: mappings().get(req.params.UUID) };
      },
    },
    {
      method: 'PUT',
      path: `${PATH}/{UUID}`,
      operation: 'UpdateEventSourceMapping',
      handler: async (req, ctx) => {
        ctx.cloud.authorize(ctx, 'lambda:UpdateEventSourceMapping', mappings().arnOf(req.params.UUID));
        return { status: 202, body: await mappings().update(req.params.UUID, jsonBody(req)) };
      },
    },
    {
      method: 'DELETE',
      path: `${PATH}/{UUID}`,
      operation: 'DeleteEventSourceMapping',
      handler: async (req, ctx) => {
        ctx.cloud.authorize(ctx, 'lambda:DeleteEventSourceMapping', mappings().arnOf(req.params.UUID));
        return { status: 202, body: await mappings().delete(req.params.UUID) };
      },
    },
  ];
}

function integer(text: string, member: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw lambdaErrors.validation(text, member, 'Member must be an integer');
  return n;
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
