import { LruCache, TtlCache } from '../domain/cache.js';
import type { CandidateContext, CandidateSource, PersonalizeRecommender } from '../ports/candidates.js';
import type { NgItemStore, PipelineStateStore, RecommendationStore } from '../ports/stores.js';
import type { ScoredItem } from '../ports/types.js';

/**
 * Active version pointers, cached per process: the request path reads every precomputed list
 * through them, so a version being written by the nightly run is never visible.
 */
export class VersionPointers {
  private readonly cache: TtlCache<string, string | undefined>;
  /**
   * `staleAfterMs`: how long a read of the state table may take before the last known pointer is used
   * (the request path passes part of its budget, so a slow table does not eat all of it).
   */
  constructor(
    private readonly state: PipelineStateStore,
    ttlMs: number,
    now?: () => number,
    private readonly staleAfterMs = Number.POSITIVE_INFINITY,
  ) {
    this.cache = new TtlCache(ttlMs, now);
  }
  /** The active version of an algorithm; the last known one if the state table fails or is slow. */
  async active(algorithm: string): Promise<string | undefined> {
    const { value } = await this.cache.read(
      algorithm,
      async () => (await this.state.getActiveVersion(algorithm))?.version,
      this.staleAfterMs,
      'state',
    );
    return value;
  }

  /** Forgets the cached pointers, so the next read sees a just-published version (local runs). */
  refresh(): void {
    this.cache.invalidate();
  }
}

/** A ranked list as the cache holds it (not the store's CompactList): one shared string per item id, scores side by side. */
interface CachedList {
  readonly ids: readonly string[];
  readonly scores: Float64Array;
}

/** Distinct item ids kept for sharing at most; beyond it the table starts again (lists keep their strings). */
const SHARED_IDS_MAX = 500_000;

/**
 * Candidates precomputed by the nightly pipeline (cf, fm, session) for the active version. A published
 * version never changes, so its lists are cached without expiry in a bounded LRU: returning users
 * cost no DynamoDB read until the pointer moves. A list is cached as its ids and a Float64Array of its
 * scores, each id string shared by every list that holds the item, and the first `n` entries are made
 * into items per request: the cache is then a few objects per list instead of three per entry (item,
 * boxed score, id), which the old generation's mark-compacts on the request path must trace
 * (bench/results/quiet-machine-6.md).
 */
export class PrecomputedSource implements CandidateSource {
  private readonly cache: LruCache<string, CachedList>;
  private ids = new Map<string, string>();
  constructor(
    readonly source: string,
    private readonly algorithm: string,
    private readonly pointers: VersionPointers,
    private readonly store: RecommendationStore,
    cacheEntries = 20_000,
  ) {
    this.cache = new LruCache(cacheEntries);
  }
  async candidates(userId: string, n: number, context?: CandidateContext): Promise<ScoredItem[]> {
    if (context?.anonymous) return [];
    const version = await this.pointers.active(this.algorithm);
    if (version === undefined) return [];
    const list = await this.cache.getOrLoad(`${version}#${userId}`, async () =>
      this.compact((await this.store.getUserList(this.algorithm, version, userId)) ?? []),
    );
    const out: ScoredItem[] = new Array(Math.min(list.ids.length, Math.max(0, Math.floor(n) || 0)));
    for (let i = 0; i < out.length; i++) out[i] = { itemId: list.ids[i], score: list.scores[i] };
    return out;
  }

  private compact(items: readonly ScoredItem[]): CachedList {
    if (this.ids.size >= SHARED_IDS_MAX) this.ids = new Map();
    const ids: string[] = new Array(items.length);
    const scores = new Float64Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const id = items[i].itemId;
      let shared = this.ids.get(id);
      if (shared === undefined) {
        shared = id;
        this.ids.set(id, id);
      }
      ids[i] = shared;
      scores[i] = items[i].score;
    }
    return { ids, scores };
  }
}

/** Amazon Personalize (or a stand-in with the same port) as a candidate source. */
export class PersonalizeSource implements CandidateSource {
  constructor(
    readonly source: string,
    private readonly personalize: PersonalizeRecommender,
  ) {}
  candidates(userId: string, n: number, context?: CandidateContext): Promise<ScoredItem[]> {
    const filter = context?.personalizeFilter;
    return this.personalize.getRecommendations(
      filter
        ? { userId, numResults: n, filterArn: filter.filterArn, filterValues: filter.filterValues }
        : { userId, numResults: n },
    );
  }
}

/**
 * The NG list cached in the Lambda's memory with a short TTL, so an item added to the list
 * disappears from other Lambdas' answers within that TTL plus one scan. The process that accepted a
 * change applies it at once: a scan that started before the change is discarded, never cached. When
 * the table fails or is slower than the request's budget, the last good list is used.
 */
export class NgList {
  private readonly cache: TtlCache<'all', Set<string>>;
  constructor(
    private readonly store: NgItemStore,
    ttlMs: number,
    now?: () => number,
  ) {
    this.cache = new TtlCache(ttlMs, now);
  }
  /**
   * The NG ids and whether they are stale (the table failed or did not answer within `deadlineMs`).
   * Throws only if no list was ever loaded.
   */
  async ids(deadlineMs = Number.POSITIVE_INFINITY): Promise<{ ids: Set<string>; stale: boolean }> {
    const { value, stale } = await this.cache.read('all', () => this.store.allIds(), deadlineMs, 'ng-items');
    return { ids: value, stale };
  }
  /** An item was just added in this process: reload, and keep it in the stale fallback too. */
  added(itemId: string): void {
    this.cache.invalidate('all', (ids) => new Set(ids).add(itemId));
  }
  /** An item was just removed in this process: reload (the stale fallback drops it too). */
  removed(itemId: string): void {
    this.cache.invalidate('all', (ids) => {
      const next = new Set(ids);
      next.delete(itemId);
      return next;
    });
  }
}

/**
 * The `personalize` arm with PERSONALIZE_MODE=off: another arm's candidates labelled
 * `personalize-off:<algorithm>`, or none, so that the popularity fallback answers.
 */
export class PersonalizeOffSource implements CandidateSource {
  readonly source: string;
  constructor(
    fallback: string,
    private readonly other: CandidateSource | undefined,
  ) {
    this.source = `personalize-off:${fallback}`;
  }

  candidates(userId: string, n: number, context?: CandidateContext): Promise<ScoredItem[]> {
    return this.other ? this.other.candidates(userId, n, context) : Promise.resolve([]);
  }
}
