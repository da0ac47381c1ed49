import type { StoredEvent } from '../events/events.js';

/** An item of a served list: its score and the step that filled it. */
export interface SourcedScore {
  readonly itemId: string;
  readonly score: number;
  readonly source: string;
}

/**
 * Makes a served list's scores non-increasing without changing its order: each run of one source (the
 * arm, then segment and global popularity) lives on its own scale, so a run whose best score is above
 * the previous run's last is mapped just below it (scaled when both are positive, else shifted), which
 * keeps the run's own order and the scores numeric. Within a run a score above its predecessor (a
 * source that is not sorted) is clamped to it.
 */
export function descendingScores<T extends SourcedScore>(items: readonly T[]): T[] {
  const out: T[] = [];
  let k = 0;
  while (k < items.length) {
    let end = k + 1;
    while (end < items.length && items[end].source === items[k].source) end++;
    let max = Number.NEGATIVE_INFINITY;
    let min = Number.POSITIVE_INFINITY;
    for (let i = k; i < end; i++) {
      max = Math.max(max, items[i].score);
      min = Math.min(min, items[i].score);
    }
    const floor = out.length > 0 ? out[out.length - 1].score : Number.POSITIVE_INFINITY;
    let map = (s: number) => s;
    if (max > floor) {
      map = floor > 0 && min >= 0 ? (s) => (s * floor) / max : (s) => s - (max - floor);
    }
    for (let i = k; i < end; i++) {
      const previous = out.length > 0 ? out[out.length - 1].score : Number.POSITIVE_INFINITY;
      const score = Math.min(previous, map(items[i].score));
      // an item whose score stands is kept as it is (no copy per item on the request path)
      out.push(score === items[i].score ? items[i] : { ...items[i], score });
    }
    k = end;
  }
  return out;
}

/**
 * The items of the visitor's current session: the events (newest first) that share the newest event's
 * sessionId. A user's older sessions are history, not "what they just did".
 */
export function currentSessionItems(recent: readonly StoredEvent[]): Set<string> {
  const items = new Set<string>();
  if (recent.length === 0) return items;
  const session = recent[0].sessionId;
  for (const e of recent) if (e.sessionId === session) items.add(e.itemId);
  return items;
}
