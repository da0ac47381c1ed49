import type { StoredEvent } from '../domain/events/events.js';
import type { CandidateSource } from '../ports/candidates.js';
import type { EventStore } from '../ports/events.js';
import type { ScoredItem } from '../ports/types.js';

/**
 * The `session` arm at request time: the nightly session model's precomputed list, adjusted by what the
 * user did since (their recent events from the events table). Items carted or favourited but not bought
 * lead (strong intent, newest first); items already viewed or bought in the recent events are dropped
 * from the precomputed list, so the list moves on as the session goes on. Without recent events (or if
 * the events table fails) it is the precomputed list unchanged.
 *
 * Scoring the recent events with the trained session model itself (SessionModel.recommendFromRecent)
 * needs the model and its item-id order on the request path; the nightly pipeline does not publish the
 * id order as a separate artifact yet, so this source re-ranks instead.
 */
export class RecentEventsSessionSource implements CandidateSource {
  constructor(
    readonly source: string,
    private readonly precomputed: CandidateSource,
    private readonly events: EventStore,
    private readonly recentLimit: number,
    private readonly onError?: (err: unknown) => void,
  ) {}

  async candidates(userId: string, n: number): Promise<ScoredItem[]> {
    if (this.recentLimit <= 0) return this.precomputed.candidates(userId, n);
    const [recentResult, baseResult] = await Promise.allSettled([
      this.events.recentEvents(userId, this.recentLimit),
      this.precomputed.candidates(userId, n + this.recentLimit),
    ]);
    if (baseResult.status === 'rejected') throw baseResult.reason;
    const base = baseResult.value;
    if (recentResult.status === 'rejected') {
      this.onError?.(recentResult.reason);
      return base.slice(0, n);
    }
    return rerankWithRecent(base, recentResult.value, n);
  }
}

/**
 * Pure re-ranking of `base` (best first) by `recent` events (newest first): unbought cart/favorite items
 * first, then the base list without items seen or bought recently. Scores stay descending.
 */
export function rerankWithRecent(
  base: readonly ScoredItem[],
  recent: readonly StoredEvent[],
  n: number,
): ScoredItem[] {
  if (recent.length === 0) return base.slice(0, n);
  const bought = new Set<string>();
  const seen = new Set<string>();
  const intent: string[] = [];
  for (const e of recent) {
    seen.add(e.itemId);
    if (e.eventType === 'purchase') bought.add(e.itemId);
  }
  for (const e of recent) {
    if (
      (e.eventType === 'cart' || e.eventType === 'favorite') &&
      !bought.has(e.itemId) &&
      !intent.includes(e.itemId)
    )
      intent.push(e.itemId);
  }
  const top = base.length > 0 ? base[0].score : 1;
  const out: ScoredItem[] = intent
    .slice(0, n)
    .map((itemId, k) => ({ itemId, score: top + intent.length - k }));
  for (const c of base) {
    if (out.length >= n) break;
    if (seen.has(c.itemId)) continue;
    out.push(c);
  }
  return out;
}
