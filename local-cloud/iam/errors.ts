import { AwsError } from '../protocol/errors.ts';

/**
 * IAM's errors, with the codes, HTTP statuses and messages IAM itself uses (the SDK maps the
 * query code to the exception name: NoSuchEntity → NoSuchEntityException, and so on).
 */
export const iamErrors = {
  noSuchRole: (name: string) => new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, { status: 404 }),
  noSuchRolePolicy: (name: string) =>
    new AwsError('NoSuchEntity', `The role policy with name ${name} cannot be found.`, { status: 404 }),
  policyNotAttachable: (arn: string) =>
    new AwsError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`, { status: 404 }),
  policyNotFound: (arn: string) => new AwsError('NoSuchEntity', `Policy ${arn} was not found.`, { status: 404 }),
  policyVersionNotFound: (arn: string, versionId: string) =>
    new AwsError('NoSuchEntity', `Policy ${arn} version ${versionId} does not exist or is not attachable.`, { status: 404 }),
  roleExists: (name: string) => new AwsError('EntityAlreadyExists', `Role with name ${name} already exists.`, { status: 409 }),
  policyExists: (name: string) =>
    new AwsError('EntityAlreadyExists', `A policy called ${name} already exists. Duplicate names are not allowed.`, {
      status: 409,
    }),
  roleHasAttachedPolicies: () =>
    new AwsError('DeleteConflict', 'Cannot delete entity, must detach all policies first.', { status: 409 }),
  roleHasInlinePolicies: () => new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.', { status: 409 }),
  policyAttached: () => new AwsError('DeleteConflict', 'Cannot delete a policy attached to entities.', { status: 409 }),
  malformedPolicy: (message: string) => new AwsError('MalformedPolicyDocument', message, { status: 400 }),
  limitExceeded: (message: string) => new AwsError('LimitExceeded', message, { status: 409 }),
  invalidInput: (message: string) => new AwsError('InvalidInput', message, { status: 400 }),
  invalidArn: (arn: string) => new AwsError('InvalidInput', `ARN ${arn} is not valid.`, { status: 400 }),
  duplicateTagKeys: () =>
    new AwsError('InvalidInput', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.', { status: 400 }),
  /** AWS's generic input validation: "1 validation error detected: Value 'x' at 'roleName' failed to satisfy constraint: ..." */
  validation: (value: string | null, member: string, constraint: string) =>
    new AwsError(
      'ValidationError',
      `1 validation error detected: Value ${value === null ? 'null' : `'${value}'`} at '${member}' failed to satisfy constraint: ${constraint}`,
      { status: 400 },
    ),
};
