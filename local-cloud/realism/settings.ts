import { DEFAULT_SCALE, RealismProfile } from './profile.ts';

/**
 * The realism setting from a command line (`--realism aws`, `--realism-scale 0.2`, or with `=`)
 * and the environment (LOCAL_CLOUD_REALISM, LOCAL_CLOUD_REALISM_SCALE); the command line wins.
 * A bad value is an Error whose message names where it came from and what is accepted.
 */
export function realismFromSettings(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RealismProfile {
  const nameFlag = flagValue(argv, '--realism');
  const scaleFlag = flagValue(argv, '--realism-scale');
  const name = nameFlag ?? { value: env.LOCAL_CLOUD_REALISM, source: 'LOCAL_CLOUD_REALISM' };
  const scale = scaleFlag ?? { value: env.LOCAL_CLOUD_REALISM_SCALE, source: 'LOCAL_CLOUD_REALISM_SCALE' };

  const chosen = (name.value ?? '').trim().toLowerCase() || 'off';
  if (chosen !== 'off' && chosen !== 'aws') {
    throw new Error(
      `${name.source} is "${name.value}": use "aws" (AWS's timing: propagation, Pending functions, rate limits) ` +
        `or "off" (every change at once, the default).`,
    );
  }
  const scaleText = scale.value?.trim() ?? '';
  const factor = scaleText === '' ? DEFAULT_SCALE : Number(scaleText);
  if (!Number.isFinite(factor) || factor <= 0 || factor > 10) {
    throw new Error(
      `${scale.source} is "${scale.value}": use a number above 0 and at most 10 that multiplies AWS's durations ` +
        `(1 = AWS's own timing, ${DEFAULT_SCALE} = ten times faster, the default).`,
    );
  }
  if (chosen === 'off') {
    if (scaleFlag) throw new Error(`--realism-scale needs --realism aws (or LOCAL_CLOUD_REALISM=aws).`);
    return RealismProfile.off();
  }
  return RealismProfile.aws(factor);
}

/** The value of `--flag VALUE` or `--flag=VALUE`; a flag without a value is a mistake. */
function flagValue(argv: readonly string[], flag: string): { value: string; source: string } | undefined {
  let found: { value: string; source: string } | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === flag) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new Error(`${flag} needs a value: ${flag === '--realism' ? '--realism aws (or off)' : '--realism-scale 0.1'}.`);
      }
      found = { value, source: flag };
      i++;
    } else if (arg.startsWith(`${flag}=`)) {
      found = { value: arg.slice(flag.length + 1), source: flag };
    }
  }
  return found;
}

/** The setting as environment variables, for a cloud started in another process. */
export function realismEnvironment(profile: RealismProfile): Record<string, string> {
  return profile.enabled
    ? { LOCAL_CLOUD_REALISM: 'aws', LOCAL_CLOUD_REALISM_SCALE: String(profile.scale) }
    : { LOCAL_CLOUD_REALISM: 'off' };
}
