import { AwsError } from '../protocol/errors.ts';

/**
 * API Gateway's errors, worded as AWS words them (the control plane answers REST-JSON with
 * `x-amzn-errortype` and a body `{"message": ...}`).
 */
const notFound = (message: string) => new AwsError('NotFoundException', message, { status: 404 });
const badRequest = (message: string) => new AwsError('BadRequestException', message, { status: 400 });
const conflict = (message: string) => new AwsError('ConflictException', message, { status: 409 });

export const apigatewayErrors = {
  badRequest,
  apiNotFound: (accountId: string, apiId: string) =>
    notFound(`Invalid API identifier specified ${accountId}:${apiId}`),
  resourceNotFound: () => notFound('Invalid Resource identifier specified'),
  methodNotFound: () => notFound('Invalid Method identifier specified'),
  integrationNotFound: () => notFound('Invalid Integration identifier specified'),
  responseNotFound: () => notFound('Invalid Response status code specified'),
  stageNotFound: () => notFound('Invalid Stage identifier specified'),
  deploymentNotFound: () => notFound('Invalid Deployment identifier specified'),

  /** A member the API model marks required, missing from the request. */
  required: (input: string, member: string) =>
    new AwsError(
      'ValidationException',
      `1 validation error detected: Value null at '${input}.${member}' failed to satisfy constraint: Member must not be null`,
    ),
  nameEmpty: () => badRequest('Name cannot be empty'),
  descriptionEmpty: () => badRequest('Description cannot be an empty string'),
  endpointTypes: () => badRequest('Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE'),
  multipleEndpointTypes: () => badRequest('Cannot create an api with multiple Endpoint Types.'),

  siblingExists: (pathPart: string) =>
    conflict(`Another resource with the same parent already has this name: ${pathPart}`),
  invalidPathPart: () =>
    badRequest(
      "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.",
    ),
  childOfGreedy: (pathPart: string) =>
    badRequest(`Cannot create a child of a resource with a greedy path variable: ${pathPart}`),
  variableSibling: (sibling: string) =>
    badRequest(`A sibling (${sibling}) of this resource already has a variable path part -- only one is allowed`),
  deleteRoot: () => badRequest('Cannot delete root resource'),

  invalidHttpMethod: () =>
    badRequest('Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY'),
  methodExists: () => conflict('Method already exists for this resource'),
  authorizerRequired: () =>
    badRequest(
      'Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.',
    ),

  integrationType: (value: string) =>
    new AwsError(
      'ValidationException',
      `1 validation error detected: Value '${value}' at 'putIntegrationInput.type' failed to satisfy constraint: ` +
        'Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]',
    ),
  integrationHttpMethodRequired: () => badRequest('Enumeration value for HttpMethod must be non-empty'),
  invalidArn: () => badRequest('Invalid ARN specified in the request'),
  arnNeedsPathOrAction: () => badRequest('AWS ARN for integration must contain path or action'),
  proxyOnlyLambda: () =>
    badRequest("Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."),
  invalidHttpEndpoint: () => badRequest('Invalid HTTP endpoint specified for URI'),
  invalidStatusCode: (value: string) =>
    new AwsError(
      'ValidationException',
      `1 validation error detected: Value '${value}' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d`,
    ),

  noMethods: () => badRequest("The REST API doesn't contain any methods"),
  noIntegration: () => badRequest('No integration defined for method'),
  stageExists: () => conflict('Stage already exists'),
  deploymentInUse: () => badRequest('Active stages pointing to this deployment must be moved or deleted'),
  deploymentIdUnknown: () => badRequest('Deployment id does not exist'),

  invalidPatchOp: (index: number, op: string, input: string) =>
    new AwsError(
      'ValidationException',
      `1 validation error detected: Value '${op}' at '${input}.patchOperations.${index}.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]`,
    ),
  invalidStagePatchPath: (path: string) => badRequest(`Invalid method setting path: ${path}. Must be one of: ${STAGE_PATHS}`),
  cannotRemoveSetting: (key: string) =>
    badRequest(`Cannot remove method setting ${key} because there is no method setting for this method `),
  invalidPatchValue: (path: string, value: string | undefined) =>
    badRequest(`Invalid value ${value === undefined ? 'null' : `'${value}'`} for patch path ${path}`),

  invalidResourceArn: (arn: string) => badRequest(`Invalid ARN. ARN is not well formed ${arn}`),
  invalidStageVariableName: (name: string) =>
    badRequest(`Invalid stage variable name: ${name}.  Please use names with only word characters.`),
  /**
   * A fixed control-plane quota exceeded (CreateDeployment 1 per 5 s, DeleteRestApi 1 per 30 s per
   * account): 429 with the seconds to wait in Retry-After, which the SDK reads as retryAfterSeconds.
   */
  tooManyRequests: (waitMs: number) =>
    new AwsError('TooManyRequestsException', 'Too Many Requests', {
      status: 429,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
    }),
  /** A path whose percent-encoding is malformed never names an API, resource or stage. */
  malformedPath: (value: string) => badRequest(`Invalid request path: malformed percent-encoding in ${value}`),
};

/** The list AWS prints when UpdateStage gets a path it does not know (its odd separators included). */
const STAGE_PATHS =
  '[/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, ' +
  '/accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, ' +
  '/{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, ' +
  '/{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, ' +
  '/{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, ' +
  '/{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, ' +
  '/{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, ' +
  '/*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit ' +
  '/*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, ' +
  '/*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, ' +
  '/variables/{variable_name}, /tracingEnabled]';
