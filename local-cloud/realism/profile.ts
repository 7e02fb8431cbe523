/**
 * How much like AWS the cloud behaves in time. "off" (the default) answers every change at
 * once, so the tour runs in seconds. "aws" reproduces AWS's documented eventual consistency and
 * rate limits — a new role not yet assumable, a function Pending, attributes propagating,
 * approximate counts lagging — scaled by `scale` (1 = AWS's own durations; 0.1 = ten times
 * faster), so the workbook's waits, retries and check windows run here as they do on AWS.
 */
export type RealismName = 'off' | 'aws';

export class RealismProfile {
  private constructor(
    readonly name: RealismName,
    /** Multiplies AWS's durations; only meaningful when the profile is "aws". */
    readonly scale: number,
  ) {}

  static off(): RealismProfile {
    return new RealismProfile('off', 0);
  }

  static aws(scale = DEFAULT_SCALE): RealismProfile {
    if (!Number.isFinite(scale) || scale <= 0 || scale > 10) {
      throw new Error(`The realism time scale must be a number above 0 and at most 10 (1 = AWS's own timing); got ${scale}.`);
    }
    return new RealismProfile('aws', scale);
  }

  /** From LOCAL_CLOUD_REALISM (off | aws) and LOCAL_CLOUD_REALISM_SCALE. */
  static fromSettings(name: string | undefined, scale: string | undefined): RealismProfile {
    const chosen = (name ?? 'off').trim().toLowerCase() || 'off';
    if (chosen === 'off') return RealismProfile.off();
    if (chosen === 'aws') return RealismProfile.aws(scale === undefined || scale === '' ? DEFAULT_SCALE : Number(scale));
    throw new Error(`LOCAL_CLOUD_REALISM is "${name}"; use "aws" (AWS's timing) or "off" (instant, the default).`);
  }

  get enabled(): boolean {
    return this.name === 'aws';
  }

  /** One of AWS's durations as this profile plays it: scaled, or 0 when realism is off. */
  ms(awsMs: number): number {
    return this.enabled ? Math.round(awsMs * this.scale) : 0;
  }

  describe(): string {
    return this.enabled ? `aws (AWS's timing × ${this.scale})` : 'off (changes take effect at once)';
  }
}

/** Fast enough for a tour in under two minutes, slow enough that every wait and retry is exercised. */
export const DEFAULT_SCALE = 0.1;
