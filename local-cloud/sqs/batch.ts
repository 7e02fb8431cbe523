import { AwsError } from '../protocol/errors.ts';
import { sqsErrors } from './errors.ts';

const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

export interface BatchResultErrorEntry {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

export interface BatchResult<T> {
  Successful: T[];
  Failed: BatchResultErrorEntry[];
}

/** The checks every *Batch operation makes on its entries before running any. */
export function validateBatch<T extends { Id?: unknown }>(
  entries: readonly T[] | undefined,
  entryShape: string,
): Array<T & { Id: string }> {
  if (!entries || entries.length === 0) throw sqsErrors.emptyBatchRequest(entryShape);
  if (entries.length > 10) throw sqsErrors.tooManyEntriesInBatchRequest(entries.length);
  const seen = new Set<string>();
  for (const entry of entries) {
    const id = entry.Id;
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) throw sqsErrors.invalidBatchEntryId();
    if (seen.has(id)) throw sqsErrors.batchEntryIdsNotDistinct(id);
    seen.add(id);
  }
  return entries as Array<T & { Id: string }>;
}

/** Runs each entry; an entry's AWS error becomes a Failed entry instead of failing the call. */
export function runBatch<T extends { Id: string }, R extends object>(
  entries: readonly T[],
  run: (entry: T) => R,
): BatchResult<R & { Id: string }> {
  const result: BatchResult<R & { Id: string }> = { Successful: [], Failed: [] };
  for (const entry of entries) {
    try {
      result.Successful.push({ Id: entry.Id, ...run(entry) });
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      result.Failed.push({ Id: entry.Id, SenderFault: err.fault === 'Sender', Code: err.queryCode, Message: err.message });
    }
  }
  return result;
}
