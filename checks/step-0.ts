/**
 * `npm run check:step-0`: the target is set, answers, and knows who you are; names are valid;
 * Node.js can run the workbook.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { stsClient } from '../lib/clients.ts';
import { resolveTarget, type Target } from '../lib/config.ts';
import { WorkbookError } from '../lib/errors.ts';
import { probeLocalCloud } from '../lib/localCloud.ts';
import { workbookPrefix } from '../lib/names.ts';
import { defineCheck, problem, runCheckWhenExecuted } from './kit.ts';

/**
 * package.json "engines": the AWS SDK's releases from January 2027 require Node 22, Node 20 is
 * end-of-life, and the workbook's functions run on Lambda's nodejs22.x.
 */
export const MIN_NODE_MAJOR = 22;

export const check = defineCheck({
  step: 0,
  title: 'target, identity, region, Node.js',
  async run(t) {
    const target = await t.require('the target is configured (WORKBOOK_TARGET, AWS_REGION, AWS_ENDPOINT_URL)', () =>
      asProblem(() => resolveTarget()),
    );

    await t.require(`the target answers and names your identity (STS GetCallerIdentity on ${target.label})`, async () => {
      const identity = await stsClient().send(new GetCallerIdentityCommand({}));
      if (!identity.Account || !identity.Arn) {
        problem('GetCallerIdentity answered without an account or ARN.', fixFor(target));
      }
    });

    if (target.kind === 'local') {
      await t.item(`the local cloud runs in your region (${target.region})`, async () => {
        const probe = await probeLocalCloud(target.endpoint!);
        if (probe.state !== 'ready') problem(`the local cloud at ${target.endpoint} does not answer its health check.`, fixFor(target));
        if (probe.health.region !== target.region) {
          problem(
            `the local cloud runs in ${probe.health.region}, but AWS_REGION is ${target.region}: ARNs would name the wrong region.`,
            `stop it (kill ${probe.health.pid}); the next \`npm run step:N\` starts it again in ${target.region}.`,
          );
        }
      });
    }

    await t.item('WORKBOOK_PREFIX can start resource names', () => asProblem(() => workbookPrefix()));

    await t.item(`Node.js is ${MIN_NODE_MAJOR} or newer (the workbook's baseline)`, () => {
      const old = nodeTooOld(process.versions.node);
      if (old) problem(old.wrong, old.fix);
    });
  },
});

/** What is wrong with a Node.js version older than the baseline, and how to get a newer one; undefined when it will do. */
export function nodeTooOld(version: string): { wrong: string; fix: string } | undefined {
  const major = Number(version.split('.')[0]);
  if (major >= MIN_NODE_MAJOR) return undefined;
  return {
    wrong:
      `this is Node.js ${version}; the workbook needs ${MIN_NODE_MAJOR} or newer (the AWS SDK requires it from January 2027, ` +
      `Node ${major} is end-of-life, and Lambda runs the functions on nodejs${MIN_NODE_MAJOR}.x).`,
    fix:
      `install Node ${MIN_NODE_MAJOR} with a version manager (\`nvm install ${MIN_NODE_MAJOR}\`, \`fnm install ${MIN_NODE_MAJOR}\` or ` +
      `\`volta install node@${MIN_NODE_MAJOR}\`) or the installer from https://nodejs.org/en/download, open a new terminal, ` +
      `check \`node --version\`, then \`npm ci\` and \`npm run check:step-0\` again.`,
  };
}

/** Turns a configuration error into a check failure with the same advice. */
function asProblem<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof WorkbookError) problem(err.message, err.hint ?? 'see steps/00-setup/README.md.');
    throw err;
  }
}

function fixFor(target: Target): string {
  if (target.kind === 'local') return 'run `npm run local` in another terminal, then check again.';
  if (target.kind === 'endpoint') return `start the emulator at ${target.endpoint}, or remove AWS_ENDPOINT_URL from .env.`;
  return 'sign in (`aws sso login --profile NAME`, and AWS_PROFILE=NAME in .env), then check again.';
}

runCheckWhenExecuted(import.meta.url, check);
