import { LruCache } from '../domain/cache.js';
import { withDeadline } from '../domain/deadline.js';
import type { StoredEvent } from '../domain/events/events.js';
import { withClientItems } from '../domain/recommend/client-items.js';
import { DEFAULT_SESSION_POSITION_DECAY, scoreRecentEvents } from '../domain/recommend/session-scoring.js';
import type { CandidateContext, CandidateSource } from '../ports/candidates.js';
import type { EventStore } from '../ports/events.js';
import type { RecommendationStore } from '../ports/stores.js';
import type { ScoredItem } from '../ports/types.js';
import type { VersionPointers } from './candidate-sources.js';
import type { SessionScorer } from './session-index.js';

/**
 * Algorithm name under which the nightly run stores the session model's per-item neighbour lists
 * (`rec#session-items#{version}#{itemId}` in the recommendations table), next to the `session` lists.
 */
export const SESSION_NEIGHBOURS = 'session-items';

/** Name the item neighbour lists of a 'recent-events' algorithm are stored under (`session-items`). */
export const neighboursListName = (algorithm: string): string => `${algorithm}-items`;

/** The session model's neighbour lists of a few items, for the active `session` version. */
export interface SessionNeighbours {
  /** Lists of the given items (items without a list are absent); empty when nothing is published. */
  lists(itemIds: readonly string[]): Promise<Map<string, ScoredItem[]>>;
}

/**
 * Neighbour lists read by key through the algorithm's version pointer (`session` by default; one GetItem
 * per recent item, in parallel).
 */
export class StoredSessionNeighbours implements SessionNeighbours {
  // a published version's lists never change: cache them without expiry, bounded
  private readonly cache: LruCache<string, ScoredItem[] | null>;
  private readonly listName: string;
  constructor(
    private readonly pointers: VersionPointers,
    private readonly store: RecommendationStore,
    cacheEntries = 50_000,
    private readonly algorithm = 'session',
  ) {
    this.cache = new LruCache(cacheEntries);
    this.listName = neighboursListName(algorithm);
  }
  async lists(itemIds: readonly string[]): Promise<Map<string, ScoredItem[]>> {
    const out = new Map<string, ScoredItem[]>();
    const version = await this.pointers.active(this.algorithm);
    if (version === undefined || itemIds.length === 0) return out;
    const lists = await Promise.all(
      itemIds.map((id) =>
        this.cache.getOrLoad(
          `${version}#${id}`,
          async () => (await this.store.getUserList(this.listName, version, id)) ?? null,
        ),
      ),
    );
    itemIds.forEach((id, k) => {
      const list = lists[k];
      if (list) out.set(id, list);
    });
    return out;
  }
}

/** How {@link RecentEventsSessionSource} scores a visitor's recent events. */
export interface RecentEventsSessionOptions {
  /** Recent events read per request (0: the precomputed list alone). */
  readonly recentLimit: number;
  /** Published item neighbour lists that score the recent events when no session model is published. */
  readonly neighbours?: SessionNeighbours;
  /** Told about a failing events table, neighbour read or scorer (the answer falls back, never fails). */
  readonly onError?: (err: unknown) => void;
  /** Weight decay per position back in the visit (default DEFAULT_SESSION_POSITION_DECAY). */
  readonly positionDecay?: number;
  /** The published session kNN model; without one (or before it is published) the neighbour lists score. */
  readonly scorer?: SessionScorer;
}

/**
 * The `session` arm at request time. With recent events (the events table, newest first), the published
 * session kNN model scores them when there is one ({@link SessionScorer}: the session's own items on their
 * learned repeat score under `allow`); else the session model scores them (neighbour lists of the recent items, weighted by event type and recency: the same
 * scoring as SessionModel.recommendFromRecent), and the nightly precomputed list fills up the rest,
 * without items seen since. When no neighbour list is published, it re-ranks the precomputed list
 * instead ({@link rerankWithRecent}). Without recent events, or if the events table fails, it is the
 * precomputed list unchanged.
 */
export class RecentEventsSessionSource implements CandidateSource {
  private readonly recentLimit: number;
  private readonly neighbours?: SessionNeighbours;
  private readonly onError?: (err: unknown) => void;
  private readonly positionDecay: number;
  private readonly scorer?: SessionScorer;

  constructor(
    readonly source: string,
    private readonly precomputed: CandidateSource,
    private readonly events: VisitorEvents,
    options: RecentEventsSessionOptions,
  ) {
    this.recentLimit = options.recentLimit;
    this.neighbours = options.neighbours;
    this.onError = options.onError;
    this.positionDecay = options.positionDecay ?? DEFAULT_SESSION_POSITION_DECAY;
    this.scorer = options.scorer;
  }

  async candidates(userId: string, n: number, context?: CandidateContext): Promise<ScoredItem[]> {
    if (this.recentLimit <= 0) return this.precomputed.candidates(userId, n, context);
    const [recentResult, baseResult] = await Promise.allSettled([
      visitorEvents(this.events, userId, this.recentLimit, context),
      this.precomputed.candidates(userId, n + this.recentLimit, context),
    ]);
    if (baseResult.status === 'rejected') throw baseResult.reason;
    const base = baseResult.value;
    if (recentResult.status === 'rejected') {
      this.onError?.(recentResult.reason);
      return base.slice(0, n);
    }
    const recent = recentResult.value;
    if (recent.length === 0) return base.slice(0, n);
    if (this.scorer) {
      try {
        const scored = await this.scorer.score(recent, n, context?.repeat ?? 'allow');
        if (scored) return fillUp(scored, base, recent, n);
      } catch (err) {
        this.onError?.(err);
      }
    }
    let lists = new Map<string, ScoredItem[]>();
    if (this.neighbours) {
      try {
        lists = await this.neighbours.lists([...new Set(recent.map((e) => e.itemId))]);
      } catch (err) {
        this.onError?.(err);
      }
    }
    if (lists.size === 0) return rerankWithRecent(base, recent, n);
    const scored = scoreRecentEvents(recent, lists, n, { positionDecay: this.positionDecay });
    return fillUp(scored, base, recent, n);
  }
}

/** `scored` first, then `base` without recent items or duplicates; scores kept descending. */
function fillUp(
  scored: readonly ScoredItem[],
  base: readonly ScoredItem[],
  recent: readonly StoredEvent[],
  n: number,
): ScoredItem[] {
  const out = [...scored];
  const taken = new Set(scored.map((s) => s.itemId));
  for (const e of recent) taken.add(e.itemId);
  // base scores live on another scale: map them below the last model score, keeping their order
  const top = base.length > 0 ? base[0].score : 0;
  const scale = scored.length > 0 && top > 0 ? scored[scored.length - 1].score / (2 * top) : 1;
  for (const c of base) {
    if (out.length >= n) break;
    if (taken.has(c.itemId)) continue;
    taken.add(c.itemId);
    out.push({ itemId: c.itemId, score: c.score * scale });
  }
  return out;
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

/**
 * Nightly: stores the session model's neighbour lists under the run's version, so the request path can
 * score a user's recent events with the model (read through the `session` pointer once it flips).
 */
export async function publishSessionNeighbours(
  store: RecommendationStore,
  version: string,
  lists: Parameters<RecommendationStore['putUserLists']>[2],
  algorithm = 'session',
): Promise<number> {
  await store.putUserLists(neighboursListName(algorithm), version, lists);
  return lists.length;
}

/** The event reads of the request path: a user's timeline, or a session's. */
export type VisitorEvents = Pick<EventStore, 'recentEvents' | 'sessionEvents'>;

/**
 * The events that count for a request: the session's on the session route (with its client-held `items=`
 * in front), else the user's.
 */
export async function visitorEvents(
  events: VisitorEvents,
  userId: string,
  limit: number,
  context?: CandidateContext,
): Promise<StoredEvent[]> {
  if (context?.sessionId === undefined) return events.recentEvents(userId, limit);
  const stored = await events.sessionEvents(context.sessionId, limit);
  if (!context.recentItems) return stored;
  return withClientItems(stored, context.recentItems, context.sessionId, limit, Date.now());
}

/**
 * A user's (or a session's) recent events, cached for a short time (bounded LRU, concurrent reads shared): one page view
 * asks for several slots at once, and a hot user's burst of requests should cost one Query, while an
 * event posted since still shows within `ttlMs` (0 = always read).
 */
export class CachedRecentEvents implements VisitorEvents {
  private readonly cache: LruCache<string, { events: StoredEvent[]; expires: number }>;
  /**
   * `deadlineMs`: how long a read may take; past it the user's last events answer if cached, else the
   * read fails (the session arm then serves its precomputed list instead of waiting).
   */
  constructor(
    private readonly inner: VisitorEvents,
    private readonly ttlMs: number,
    capacity = 20_000,
    private readonly now: () => number = Date.now,
    private readonly deadlineMs = Number.POSITIVE_INFINITY,
  ) {
    this.cache = new LruCache(capacity);
  }

  recentEvents(userId: string, limit: number): Promise<StoredEvent[]> {
    return this.read(`u#${limit}#${userId}`, () => this.inner.recentEvents(userId, limit));
  }

  sessionEvents(sessionId: string, limit: number): Promise<StoredEvent[]> {
    return this.read(`s#${limit}#${sessionId}`, () => this.inner.sessionEvents(sessionId, limit));
  }

  private async read(key: string, load: () => Promise<StoredEvent[]>): Promise<StoredEvent[]> {
    if (this.ttlMs <= 0) return withDeadline(load(), this.deadlineMs, 'events');
    const previous = this.cache.get(key);
    const loading = this.cache.getOrLoad(
      key,
      async () => ({ events: await load(), expires: this.now() + this.ttlMs }),
      (e) => e.expires > this.now(),
    );
    try {
      return (await withDeadline(loading, this.deadlineMs, 'events')).events;
    } catch (err) {
      if (previous) return previous.events;
      throw err;
    }
  }
}
