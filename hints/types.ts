/**
 * Hints for one blank of a step, from a nudge to nearly the answer. `npm run hint N` shows them
 * one at a time. They live here, outside steps/, so that opening a step's folder does not show
 * the later hints at a glance.
 */
export interface BlankHints {
  /** The step's file that holds the blank, relative to the step's folder. */
  file: string;
  /** Code on the blank's line, before its todo(, that tells it from the file's other blanks. */
  marker?: string;
  /** What the blank is, in a few words. */
  title: string;
  /** The first is a nudge, then the API or field, the last close to the answer (never a copy of it). */
  hints: readonly string[];
}
