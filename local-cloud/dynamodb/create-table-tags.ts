import type { ServerResponse } from 'node:http';

/** What the tags part of dynalite's store offers (one LevelDB sublevel per table). */
export interface TagStore {
  getTagDb(tableName: string): {
    batch(ops: { type: 'put'; key: string; value: string }[], cb: (err?: Error | null) => void): void;
  };
}

interface Tag {
  Key: string;
  Value: string;
}

/**
 * CreateTable's `Tags` (the way to tag a table at birth, as the workbook's step 6 does): dynalite
 * accepts the parameter and ignores it. When dynalite answers the create with 200, the tags are
 * stored before the answer leaves, so a ListTagsOfResource right after sees them.
 */
export function tagOnCreate(store: TagStore, body: string, res: ServerResponse): void {
  let input: { TableName?: unknown; Tags?: unknown };
  try {
    input = JSON.parse(body);
  } catch {
    return; // dynalite answers malformed JSON itself
  }
  const tags = wellFormedTags(input?.Tags);
  if (typeof input?.TableName !== 'string' || tags.length === 0) return;
  const tableName = input.TableName;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    if (res.statusCode !== 200) return end(...args);
    const puts = tags.map((tag) => ({ type: 'put' as const, key: tag.Key, value: tag.Value }));
    store.getTagDb(tableName).batch(puts, () => end(...args));
    return res;
  }) as typeof res.end;
}

function wellFormedTags(value: unknown): Tag[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (tag): tag is Tag =>
      tag !== null && typeof tag === 'object' && typeof tag.Key === 'string' && tag.Key !== '' && typeof tag.Value === 'string',
  );
}
