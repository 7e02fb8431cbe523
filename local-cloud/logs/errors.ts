import { AwsError } from '../protocol/errors.ts';

/** CloudWatch Logs errors, worded as AWS words them. */
const invalidParameter = (message: string) => new AwsError('InvalidParameterException', message);

export const logsErrors = {
  groupNotFound: () => new AwsError('ResourceNotFoundException', 'The specified log group does not exist.'),
  streamNotFound: () => new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.'),
  resourceNotFound: () => new AwsError('ResourceNotFoundException', 'The specified resource does not exist.'),
  groupExists: () => new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists'),
  streamExists: () => new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists'),

  invalidParameter,
  notChronological: () =>
    invalidParameter('Log events in a single PutLogEvents request must be in chronological order.'),
  prefixWithLastEventTime: () => invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.'),
  streamNamesAndPrefix: () =>
    invalidParameter('logStreamNames and logStreamNamePrefix are mutually exclusive parameters.'),
  invalidFilterPattern: () => invalidParameter('Invalid filter pattern'),
  invalidToken: () => invalidParameter('The specified nextToken is invalid.'),
  groupNameOrIdentifier: () =>
    invalidParameter('LogGroup name and LogGroup identifier are mutually exclusive parameters.'),

  /** Smithy's constraint messages, which the service returns as InvalidParameterException. */
  validation: (value: unknown, member: string, constraint: string) =>
    invalidParameter(`1 validation error detected: Value '${format(value)}' at '${member}' failed to satisfy constraint: ${constraint}`),
};

function format(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(format).join(', ')}]`;
  return String(value);
}
