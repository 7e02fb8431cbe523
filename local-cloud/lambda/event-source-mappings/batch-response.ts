/** What a mapping does with a batch after a function returned without error. */
export type BatchOutcome =
  | { kind: 'success' }
  /** Only these message ids failed: they stay in the queue, the others are deleted. */
  | { kind: 'partial'; failed: Set<string> }
  /** The response cannot be trusted: the whole batch stays in the queue. */
  | { kind: 'invalid'; reason: string };

/**
 * ReportBatchItemFailures, as AWS documents it. A complete success: `{}`, `null`, no
 * batchItemFailures, or an empty list. A complete failure: a response that is not a JSON object,
 * a batchItemFailures that is not a list, or an entry whose itemIdentifier is missing, empty, not a
 * string, or not the id of a message in the batch. Otherwise only the listed messages failed.
 */
export function interpretBatchResponse(payload: string, messageIds: ReadonlySet<string>): BatchOutcome {
  if (payload.trim() === '') return { kind: 'success' };
  let response: unknown;
  try {
    response = JSON.parse(payload);
  } catch {
    return { kind: 'invalid', reason: 'the response is not valid JSON' };
  }
  if (response === null) return { kind: 'success' };
  if (typeof response !== 'object' || Array.isArray(response)) {
    return { kind: 'invalid', reason: 'the response is not an object with batchItemFailures' };
  }
  const list = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === undefined || list === null) return { kind: 'success' };
  if (!Array.isArray(list)) return { kind: 'invalid', reason: 'batchItemFailures is not a list' };
  if (list.length === 0) return { kind: 'success' };
  const failed = new Set<string>();
  for (const entry of list) {
    const id = entry && typeof entry === 'object' ? (entry as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '') {
      return { kind: 'invalid', reason: `a batchItemFailures entry has no itemIdentifier: ${JSON.stringify(entry)}` };
    }
    if (!messageIds.has(id)) return { kind: 'invalid', reason: `itemIdentifier ${id} is not a message of this batch` };
    failed.add(id);
  }
  return { kind: 'partial', failed };
}
