import type { NeighbourLists } from '../algorithms/item-cf.js';
import { ownValue } from '../own-property.js';
import type { ScoredItem, UserRecommendations } from '../../ports/types.js';

/** positionDecay of DEFAULT_SESSION_OPTIONS (the trained model's default): the k-th newest event weighs decay^k. */
export const DEFAULT_SESSION_POSITION_DECAY = 0.85;

/** Weights of canonical event types when scoring recent events (as DEFAULT_EVENT_WEIGHTS in training). */
export const RECENT_EVENT_WEIGHTS: Readonly<Record<string, number>> = {
  view: 1,
  favorite: 3,
  cart: 4,
  purchase: 6,
};

/**
 * The session model's neighbour lists as small per-item lists (item id → the items it pushes score to,
 * best first), the form the request path can fetch by key for a user's few recent items.
 */
export function neighbourListsOf(
  lists: NeighbourLists,
  itemIds: readonly string[],
  maxPerItem: number,
): UserRecommendations[] {
  const out: UserRecommendations[] = [];
  for (let i = 0; i < itemIds.length && i < lists.indptr.length - 1; i++) {
    const from = lists.indptr[i];
    const to = lists.indptr[i + 1];
    if (to === from) continue;
    // rows are not necessarily sorted: order by similarity, keep the strongest
    const order = Array.from({ length: to - from }, (_, k) => from + k).sort(
      (a, b) => lists.sims[b] - lists.sims[a],
    );
    const items: ScoredItem[] = [];
    for (let k = 0; k < order.length && k < maxPerItem; k++) {
      const p = order[k];
      if (!(lists.sims[p] > 0)) break;
      items.push({ itemId: itemIds[lists.indices[p]], score: Math.round(lists.sims[p] * 1e6) / 1e6 });
    }
    if (items.length > 0) out.push({ userId: itemIds[i], items });
  }
  return out;
}

/**
 * Scores a user's recent events (newest first) the way SessionModel.recommendFromRecent does: each
 * event's item pushes its neighbours' similarities, weighted by the event type and by
 * positionDecay^(k) for the k-th newest event; the recent items themselves and `exclude` are left out.
 * Only a few lists of ≤ 100 entries are summed, so a Map is fine here.
 */
export function scoreRecentEvents(
  recent: readonly { itemId: string; eventType: string }[],
  neighbours: ReadonlyMap<string, readonly ScoredItem[]>,
  n: number,
  options: {
    positionDecay: number;
    eventWeights?: Readonly<Record<string, number>>;
    exclude?: ReadonlySet<string>;
  },
): ScoredItem[] {
  const weights = options.eventWeights ?? RECENT_EVENT_WEIGHTS;
  const seen = new Set(recent.map((e) => e.itemId));
  const scores = new Map<string, number>();
  let decay = 1;
  for (const e of recent) {
    // eventType comes from the events table: only the table's own entries count, anything else weighs 1
    const w = (ownValue(weights, e.eventType) ?? 1) * decay;
    decay *= options.positionDecay;
    for (const nb of neighbours.get(e.itemId) ?? []) {
      if (seen.has(nb.itemId) || options.exclude?.has(nb.itemId)) continue;
      scores.set(nb.itemId, (scores.get(nb.itemId) ?? 0) + w * nb.score);
    }
  }
  return [...scores]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([itemId, score]) => ({ itemId, score: Math.round(score * 1e6) / 1e6 }));
}
