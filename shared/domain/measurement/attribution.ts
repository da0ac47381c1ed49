import { type Impression, type StoredEvent, visitorId } from '../events/events.js';

/** How an event was tied to an arm. */
export type AttributionRule = 'direct' | 'window' | 'none';

export interface Attribution {
  readonly event: StoredEvent;
  readonly rule: AttributionRule;
  /** The impression the event is credited to (absent for 'none'). */
  readonly impression?: Impression;
}

/**
 * Credits each event to the served list that led to it: the impression named by its recommendationId
 * ('direct'); failing that (no id, or that impression was not sampled) the latest impression served to
 * the same user at most `windowMs` before the event that contained the item ('window'); else 'none'.
 * Impressions are indexed per user sorted by time, so the work is O((E + I) log I).
 */
export function attributeEvents(
  events: readonly StoredEvent[],
  impressions: readonly Impression[],
  windowMs: number,
): Attribution[] {
  const byId = new Map<string, Impression>();
  const byUser = new Map<string, Impression[]>();
  for (const imp of impressions) {
    byId.set(imp.recommendationId, imp);
    const list = byUser.get(imp.userId);
    if (list) list.push(imp);
    else byUser.set(imp.userId, [imp]);
  }
  for (const list of byUser.values()) list.sort((a, b) => a.ts - b.ts);
  const itemSets = new Map<Impression, Set<string>>();
  const contains = (imp: Impression, itemId: string) => {
    let set = itemSets.get(imp);
    if (!set) {
      set = new Set(imp.items);
      itemSets.set(imp, set);
    }
    return set.has(itemId);
  };
  return events.map((event): Attribution => {
    if (event.recommendationId !== undefined) {
      const imp = byId.get(event.recommendationId);
      if (imp) return { event, rule: 'direct', impression: imp };
    }
    const list = byUser.get(visitorId(event));
    if (list) {
      // last impression with ts <= sentAt, then walk back within the window
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].ts <= event.sentAt) lo = mid + 1;
        else hi = mid;
      }
      for (let k = lo - 1; k >= 0 && event.sentAt - list[k].ts <= windowMs; k--) {
        if (contains(list[k], event.itemId)) return { event, rule: 'window', impression: list[k] };
      }
    }
    return { event, rule: 'none' };
  });
}
