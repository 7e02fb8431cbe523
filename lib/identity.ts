import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { clientConfig } from './clients.ts';
import { resolveTarget, type Target } from './config.ts';
import { WorkbookError } from './errors.ts';
import { buildArn, dnsSuffixOf, partitionOfArn, partitionOfRegion } from './partition.ts';

/** Who the workbook acts as, and the partition that decides its ARNs and hosts. */
export interface Identity {
  account: string;
  /** GetCallerIdentity's Arn: arn:PARTITION:iam::ACCOUNT:user/NAME (or an assumed role). */
  arn: string;
  /** "aws", "aws-cn", "aws-us-gov", … */
  partition: string;
  /** "amazonaws.com", "amazonaws.com.cn", … */
  dnsSuffix: string;
}

const identities = new Map<string, Promise<Identity>>();

/**
 * GetCallerIdentity, once per target (and per credentials setting) in a process: the account,
 * and the partition its Arn names. A region of another partition than the credentials' is
 * refused here, where it can be explained, rather than as an odd signature error later.
 */
export function identityOf(target: Target = resolveTarget()): Promise<Identity> {
  const env = process.env;
  const key = JSON.stringify([
    target.kind,
    target.endpoint,
    target.region,
    target.credentials?.accessKeyId,
    env.AWS_PROFILE,
    env.AWS_ACCESS_KEY_ID,
    ...Object.keys(env)
      .filter((name) => name.startsWith('AWS_ENDPOINT_URL'))
      .sort()
      .map((name) => `${name}=${env[name]}`),
  ]);
  let identity = identities.get(key);
  if (!identity) {
    identity = lookUp(target);
    identities.set(key, identity);
    identity.catch(() => identities.delete(key)); // a failure (expired session, no network) is not remembered
  }
  return identity;
}

async function lookUp(target: Target): Promise<Identity> {
  const { Account, Arn } = await new STSClient(clientConfig(target)).send(new GetCallerIdentityCommand({}));
  if (!Account || !Arn) throw new Error('GetCallerIdentity answered without an Account or Arn.');
  const partition = partitionOfArn(Arn);
  const regional = partitionOfRegion(target.region);
  if (target.kind === 'aws' && regional.partition !== partition) {
    throw new WorkbookError(
      `The region ${target.region} is in the ${regional.partition} partition, but your credentials (${Arn}) are for ${partition}: an account lives in one partition only.`,
      `set AWS_REGION to a region of ${partition}, or use credentials of an ${regional.partition} account.`,
    );
  }
  return { account: Account, arn: Arn, partition, dnsSuffix: dnsSuffixOf(partition) };
}

/** The ARN of a topic, queue, … named `name` in the caller's partition, account and the target's region. */
export async function arnInAccount(service: string, name: string, target: Target = resolveTarget()): Promise<string> {
  const { partition, account } = await identityOf(target);
  return buildArn({ partition, service, region: target.region, account, resource: name });
}
