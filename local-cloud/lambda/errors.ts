import { AwsError } from '../protocol/errors.ts';

/**
 * Lambda's errors, worded as AWS words them. The wire shape ({"Type": "User", "Message": ...}
 * with x-amzn-errortype) is rest.ts's business.
 */
const invalidParameter = (message: string) => new AwsError('InvalidParameterValueException', message);
const notFound = (message: string) => new AwsError('ResourceNotFoundException', message, { status: 404 });
const conflict = (message: string) => new AwsError('ResourceConflictException', message, { status: 409 });

export const lambdaErrors = {
  invalidParameter,

  /** Smithy constraint failures: "1 validation error detected: Value 'x' at 'role' failed to satisfy constraint: ..." */
  validation: (value: unknown, member: string, constraint: string) =>
    new AwsError(
      'ValidationException',
      `1 validation error detected: Value '${value === undefined ? 'null' : String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
    ),

  functionNotFound: (functionArn: string) => notFound(`Function not found: ${functionArn}`),
  functionExists: (name: string) => conflict(`Function already exist: ${name}`),
  resourceNotFound: () => notFound('The resource you requested does not exist.'),
  noPolicy: () => notFound('No policy is associated with the given resource.'),
  statementNotFound: (sid: string) => notFound(`Statement ${sid} is not found in resource policy.`),
  statementExists: (sid: string) =>
    conflict(
      `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
    ),
  invalidPrincipal: () =>
    invalidParameter('The provided principal was invalid. Please check the principal and try again.'),

  roleCannotBeAssumed: () => invalidParameter('The role defined for the function cannot be assumed by Lambda.'),

  runtimeNoLongerSupported: (runtime: string, suggested: string) =>
    invalidParameter(
      `The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. ` +
        `We recommend you use the new runtime (${suggested}) while creating or updating functions.`,
    ),
  /** A real AWS runtime the local cloud cannot run (it runs Node.js handlers only). */
  runtimeNotEmulated: (runtime: string, supported: readonly string[]) =>
    invalidParameter(
      `The local cloud runs Node.js functions only (${supported.join(', ')}); runtime ${runtime} cannot run here.`,
    ),

  cannotUnzip: () =>
    invalidParameter('Could not unzip uploaded file. Please check your file, then try to upload again.'),
  unzippedTooLarge: (limit: number) => invalidParameter(`Unzipped size must be smaller than ${limit} bytes`),
  /** A direct upload (Code.ZipFile) over the zipped quota; Lambda answers it as an oversized request. */
  zippedTooLarge: (limit: number) =>
    new AwsError('RequestEntityTooLargeException', `Zipped size must be smaller than ${limit} bytes`, { status: 413 }),
  requestEntityTooLarge: (limit: number, operation: string) =>
    new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes for the ${operation} operation`, {
      status: 413,
    }),
  noCode: () => invalidParameter('Please provide a source for function code.'),
  handlerRequired: () => invalidParameter('The Handler parameter is required for functions with a .zip file package.'),

  reservedEnvironmentKeys: (keys: string[]) =>
    invalidParameter(
      'Lambda was unable to configure your environment variables because the environment variables you have provided ' +
        `contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${keys.join(', ')}`,
    ),
  environmentTooLarge: (measured: string) =>
    invalidParameter(
      'Lambda was unable to configure your environment variables because the environment variables you have provided ' +
        `exceeded the 4KB limit. String measured: ${measured}`,
    ),

  notActive: (state: string) =>
    conflict(`The operation cannot be performed at this time. The function is currently in the following state: ${state}`),

  /** A second update while LastUpdateStatus is InProgress (realism profile; AWS's wording, the function's ARN). */
  updateInProgress: (functionArn: string) =>
    conflict(`The operation cannot be performed at this time. An update is in progress for resource: ${functionArn}`),

  preconditionFailed: () =>
    new AwsError(
      'PreconditionFailedException',
      'The RevisionId provided does not match the latest RevisionId for the Lambda function or alias. ' +
        'Call the GetFunction or the GetAlias API to retrieve the latest RevisionId for your resource.',
      { status: 412 },
    ),

  invalidRequestContent: (detail: string) =>
    new AwsError('InvalidRequestContentException', `Could not parse request body into json: ${detail}`),
  requestTooLarge: (limit: number) =>
    new AwsError('RequestTooLargeException', `Request must be smaller than ${limit} bytes for the InvokeFunction operation`, {
      status: 413,
    }),

  /** A service principal (API Gateway, SNS…) without a resource-policy grant. */
  accessDenied: (principal: string, functionArn: string) =>
    new AwsError(
      'AccessDeniedException',
      `User: ${principal} is not authorized to perform: lambda:InvokeFunction on resource: ${functionArn}`,
      { status: 403 },
    ),
};
