import type { BlankHints } from './types.ts';
import { hints as step1 } from './step-1.ts';
import { hints as step2 } from './step-2.ts';
import { hints as step3 } from './step-3.ts';
import { hints as step5 } from './step-5.ts';
import { hints as step6 } from './step-6.ts';
import { hints as step7 } from './step-7.ts';
import { hints as step9 } from './step-9.ts';

export type { BlankHints } from './types.ts';

/** Every step's blanks and their hints, by step number; a step without blanks has none. */
export const HINTS: ReadonlyMap<number, readonly BlankHints[]> = new Map([
  [1, step1],
  [2, step2],
  [3, step3],
  [5, step5],
  [6, step6],
  [7, step7],
  [9, step9],
]);
