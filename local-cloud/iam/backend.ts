import type { Cloud } from '../cloud.ts';

/** IAM state and behaviour (roles, inline and managed policies). */
export class IamBackend {
  constructor(readonly cloud: Cloud) {}
}
