import type { ServerResponse } from 'node:http';

/** What this needs of dynalite's store: a table's record, status included. */
export interface TableLookup {
  getTable(name: string, checkStatus: boolean, cb: (err: Error | null, table?: { TableStatus?: string }) => void): void;
}

/** Enough turns for dynalite's own timer and LevelDB write, however busy the machine. */
const MAX_LOOKS = 500;

/**
 * With realism off a new table is usable by the very next call. dynalite flips it to ACTIVE on a
 * timer after answering (even with createTableMs 0), so a busy machine can see a PutItem arrive
 * first; the CreateTable answer is held until the table is ACTIVE. The answer itself still says
 * CREATING, as AWS's does.
 */
export function answerOnceActive(store: TableLookup, body: string, res: ServerResponse): void {
  let tableName: unknown;
  try {
    tableName = (JSON.parse(body) as { TableName?: unknown })?.TableName;
  } catch {
    return;
  }
  if (typeof tableName !== 'string') return;
  const name = tableName;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    if (res.statusCode !== 200) return end(...args);
    let looks = 0;
    const look = () =>
      store.getTable(name, false, (err, table) => {
        if (err || table?.TableStatus === 'ACTIVE' || ++looks >= MAX_LOOKS) end(...args);
        else setImmediate(look);
      });
    look();
    return res;
  }) as typeof res.end;
}
