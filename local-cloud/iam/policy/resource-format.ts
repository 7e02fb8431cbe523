/**
 * IAM's checks on the Resource / NotResource strings of a permission policy, with its messages.
 * IAM reads anything with a colon as an ARN: the text before the first colon stands for "arn",
 * the next field must be the account's partition (or "*"), and a service must follow. So a
 * queue URL ("https://sqs…/ACCOUNT/NAME") fails on its partition, a bare name on the ARN format.
 */

/** The partition of a region's ARNs: aws-cn for China, aws-us-gov for GovCloud, aws elsewhere. */
export function partitionOfRegion(region: string | undefined): string {
  if (region?.startsWith('cn-')) return 'aws-cn';
  if (region?.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** "The policy failed legacy parsing": IAM's older parser rejects these before anything else. */
export function failsLegacyParsing(resource: string): boolean {
  if (resource === '*' || resource === '') return false;
  const fields = resource.split(':');
  if (fields.length < 6 && resource.includes('::')) return true;
  return fields.length > 2 && fields[2] === '';
}

const IAM_RESOURCE_TYPES = [
  'user/',
  'federated-user/',
  'role/',
  'group/',
  'instance-profile/',
  'mfa/',
  'server-certificate/',
  'policy/',
  'sms-mfa/',
  'saml-provider/',
  'oidc-provider/',
  'report/',
  'access-report/',
];

/** IAM's message for a resource it refuses, or undefined when the resource is well formed. */
export function resourceFormatProblem(resource: string, partition: string): string | undefined {
  if (resource === '*') return undefined;
  const firstColon = resource.indexOf(':');
  if (firstColon < 0) return `Resource ${resource} must be in ARN format or "*".`;

  const afterArn = resource.slice(firstColon + 1);
  const secondColon = afterArn.indexOf(':');
  const resourcePartition = secondColon < 0 ? afterArn : afterArn.slice(0, secondColon);
  if (resourcePartition !== '*' && resourcePartition !== partition) {
    // IAM shows the resource as it read it: six fields, missing ones as "*".
    const rest = secondColon < 0 ? [''] : afterArn.slice(secondColon + 1).split(':');
    const field = (i: number) => (i < rest.length ? rest[i] : '*');
    const service = rest[0] !== '' || rest.length > 1 ? rest[0] : '*';
    const tail = rest.length > 3 ? rest.slice(3).join(':') : '*';
    return `Partition "${resourcePartition}" is not valid for resource "arn:${resourcePartition}:${service}:${field(1)}:${field(2)}:${tail}".`;
  }
  if (secondColon < 0) return 'Resource vendor must be fully qualified and cannot contain regexes.';

  const [service = '', region = '', , ...idParts] = afterArn.slice(secondColon + 1).split(':');
  const resourceId = idParts.join(':');
  if (service === 'iam') {
    if (region !== '') return `IAM resource ${resource} cannot contain region information.`;
    if (resourceId !== '*' && !IAM_RESOURCE_TYPES.some((type) => resourceId.startsWith(type))) {
      return `IAM resource path must either be "*" or start with ${IAM_RESOURCE_TYPES.join(', ')}.`;
    }
  }
  if (service === 's3' && region !== '' && !resourceId.startsWith('accesspoint/')) {
    return `Resource ${resource} can not contain region information.`;
  }
  return undefined;
}
