import { createInterface } from 'node:readline';
import {
  EVENT_EXPORT_PREFIX,
  EVENTS_CSV_HEADER,
  EventMerger,
  type MergeStats,
  utcDay,
} from '../domain/events/export.js';
import type { ArtifactStore } from '../ports/artifacts.js';

/** Rows per merged part: a part stays ~40 MB, so writing one never holds a night's events in memory. */
export const EVENT_PART_ROWS = 500_000;

/** Key of part `n` of a snapshot's merged events. */
export const eventPartKey = (snapshot: string, n: number) =>
  `${snapshot}/events-${String(n).padStart(5, '0')}.csv`;

export interface EventMergeResult {
  /** The snapshot keys written (events-00000.csv, ...), in order. */
  readonly parts: string[];
  /** Exported objects read. */
  readonly objects: number;
  readonly stats: MergeStats;
}

/**
 * Prepare's merge of the API's exported events into a run snapshot: reads the day partitions that can hold
 * events sent in [from, to) (oldest first), keeps each eventId once, and writes them as CSV parts in the
 * interactions schema beside the snapshot's interactions.csv. Only the horizon's partitions are listed and
 * read; the events table is never scanned. Objects that arrive while the merge runs belong to the next run.
 */
export async function mergeExportedEvents(
  artifacts: ArtifactStore,
  snapshot: string,
  window: { readonly from: number; readonly to: number },
  partRows = EVENT_PART_ROWS,
): Promise<EventMergeResult> {
  // partitions are by arrival day, and an event arrives at most the allowed clock skew before its sentAt:
  // starting one day early never misses one
  const startAfter = `${EVENT_EXPORT_PREFIX}dt=${utcDay(window.from - 86_400_000)}`;
  const keys = await artifacts.list(EVENT_EXPORT_PREFIX, startAfter);
  const merger = new EventMerger(window.from, window.to);
  const parts: string[] = [];
  let rows: string[] = [];
  const flush = async () => {
    if (rows.length === 0) return;
    const key = eventPartKey(snapshot, parts.length);
    await artifacts.put(key, EVENTS_CSV_HEADER + rows.join(''));
    parts.push(key);
    rows = [];
  };
  for (const key of keys) {
    const stream = await artifacts.open(key);
    if (!stream) continue; // removed since the listing (lifecycle rule): nothing to merge
    for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      const row = merger.accept(line);
      if (row === undefined) continue;
      rows.push(row);
      if (rows.length >= partRows) await flush();
    }
  }
  await flush();
  return { parts, objects: keys.length, stats: merger.stats() };
}
