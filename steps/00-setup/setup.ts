/**
 * Step 0: where your calls go, and who you are there (read README.md next to this file first).
 *
 * It creates nothing: it prints the target, endpoint, region and identity the next steps will
 * use, so that a wrong account or region shows up now, not halfway through the pipeline.
 *
 * Run it with `npm run step:0`.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { stsClient } from '../../lib/clients.ts';
import { resolveTarget } from '../../lib/config.ts';
import { probeLocalCloud } from '../../lib/localCloud.ts';
import { names } from '../../lib/names.ts';
import { cmd, heading, next, ok, warn } from '../../lib/output.ts';
import { runWhenExecuted } from '../../lib/steps.ts';

/** The workbook's baseline (package.json "engines"): the AWS SDK requires it, and Lambda runs the functions on nodejs22.x. */
const MIN_NODE_MAJOR = 22;

export async function setup() {
  const target = resolveTarget();
  heading('Step 0: your target');
  ok(`target:   ${target.kind} (WORKBOOK_TARGET=${process.env.WORKBOOK_TARGET || 'local'})`);
  ok(`endpoint: ${target.endpoint ?? `the regional AWS endpoints of ${target.region}`}`);
  ok(`region:   ${target.region}`);

  // STS GetCallerIdentity works for any valid credentials and needs no permission:
  // the quickest way to learn which account and identity your calls will use.
  const identity = await stsClient().send(new GetCallerIdentityCommand({}));
  ok(`identity: ${identity.Arn} (account ${identity.Account})`);

  if (target.kind === 'local') {
    const probe = await probeLocalCloud(target.endpoint!);
    if (probe.state === 'ready' && probe.health.region !== target.region) {
      warn(
        `The local cloud runs in ${probe.health.region}, but AWS_REGION is ${target.region}. ` +
          `Stop it (kill ${probe.health.pid}); the next step starts it again in ${target.region}.`,
      );
    }
  }

  ok(`names:    every resource starts with "${names().prefix}-" and carries the tag workbook=${names().prefix}`);

  const major = Number(process.versions.node.split('.')[0]);
  if (major >= MIN_NODE_MAJOR) ok(`Node.js:  ${process.versions.node}`);
  else {
    warn(
      `Node.js:  ${process.versions.node}, too old: the workbook needs Node ${MIN_NODE_MAJOR} or newer. ` +
        `${cmd('npm run check:step-0')} says how to install it.`,
    );
  }

  next(`${cmd('npm run check:step-0')}, then read steps/01-queue/README.md.`);
  return { target, identity };
}

runWhenExecuted(import.meta.url, setup);
