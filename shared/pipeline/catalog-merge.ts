import { createInterface } from 'node:readline';
import {
  type CatalogKind,
  type CatalogMergeStats,
  CatalogMerger,
  catalogExportPrefix,
} from '../domain/catalog/catalog.js';
import type { ArtifactStore } from '../ports/artifacts.js';

/** Ids per merged part. */
export const CATALOG_PART_ROWS = 200_000;

/** Key of part `n` of a snapshot's merged users/items writes (beside users.csv / items.csv). */
export const catalogPartKey = (snapshot: string, kind: CatalogKind, n: number) =>
  `${snapshot}/${kind}-${String(n).padStart(5, '0')}.csv`;

export interface CatalogMergeResult {
  readonly parts: string[];
  readonly objects: number;
  readonly stats: CatalogMergeStats;
}

/**
 * Prepare's merge of the live users/items writes (POST /users, POST /items) into a run snapshot: reads
 * every exported object of the kind (a catalogue is state, not a window: a user created months ago still
 * counts), folds them per id and attribute (the latest write wins) and writes CSV parts that the loader
 * reads after users.csv / items.csv, so they override the CSV's values of the attributes they name.
 */
export async function mergeCatalogWrites(
  artifacts: ArtifactStore,
  snapshot: string,
  kind: CatalogKind,
  partRows = CATALOG_PART_ROWS,
): Promise<CatalogMergeResult> {
  const keys = await artifacts.list(catalogExportPrefix(kind));
  const merger = new CatalogMerger(kind);
  for (const key of keys) {
    const stream = await artifacts.open(key);
    if (!stream) continue;
    for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }))
      merger.accept(line);
  }
  const parts: string[] = [];
  for (const csv of merger.parts(partRows)) {
    const key = catalogPartKey(snapshot, kind, parts.length);
    await artifacts.put(key, csv);
    parts.push(key);
  }
  return { parts, objects: keys.length, stats: merger.stats() };
}
