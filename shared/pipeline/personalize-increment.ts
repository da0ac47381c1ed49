import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import type { ArtifactStore } from '../ports/artifacts.js';

/** Columns of an incremental interactions import: the interactions schema the bootstrap creates. */
const COLUMNS = ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE'] as const;

export interface IncrementResult {
  /** Keys written under the prefix (one per events part that had new rows). */
  readonly keys: string[];
  readonly rows: number;
}

/**
 * Writes the interactions of a snapshot's events parts sent in [fromSec, toSec) under `prefix`, one CSV per
 * part in the interactions schema's columns (EVENT_ID and SESSION_ID are not Personalize fields), so an
 * INCREMENTAL import of the folder adds exactly what the last import did not have. One part is held at a
 * time (a part is at most 500,000 rows).
 */
export async function writeIncrementalInteractions(
  artifacts: ArtifactStore,
  parts: readonly string[],
  fromSec: number,
  toSec: number,
  prefix: string,
): Promise<IncrementResult> {
  const keys: string[] = [];
  let rows = 0;
  for (const [n, part] of parts.entries()) {
    const stream = await artifacts.open(part);
    if (!stream) continue;
    const out: string[][] = [];
    for await (const record of stream.pipe(
      parse({ columns: true, relax_column_count: true }),
    ) as AsyncIterable<Record<string, string>>) {
      const ts = Number(record.TIMESTAMP);
      if (!Number.isFinite(ts) || ts < fromSec || ts >= toSec) continue;
      out.push(COLUMNS.map((c) => record[c] ?? ''));
    }
    if (out.length === 0) continue;
    const key = `${prefix}/part-${String(n).padStart(5, '0')}.csv`;
    await artifacts.put(key, stringify(out, { header: true, columns: [...COLUMNS] }));
    keys.push(key);
    rows += out.length;
  }
  return { keys, rows };
}

/**
 * Adds the USER_ID of every row of `keys` (interactions.csv and events parts) to `add`, streaming one file
 * at a time: the users Personalize trains on, for the request path's cold-user rule.
 */
export async function collectUserIds(
  artifacts: ArtifactStore,
  keys: readonly string[],
  add: (userId: string) => void,
): Promise<number> {
  let rows = 0;
  for (const key of keys) {
    const stream = await artifacts.open(key);
    if (!stream) continue;
    for await (const record of stream.pipe(
      parse({ columns: true, relax_column_count: true }),
    ) as AsyncIterable<Record<string, string>>) {
      if (record.USER_ID) add(record.USER_ID);
      rows++;
    }
  }
  return rows;
}
