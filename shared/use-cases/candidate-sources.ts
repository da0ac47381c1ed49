import { LruCache, TtlCache } from '../domain/cache.js';
import type { CandidateSource, PersonalizeRecommender } from '../ports/candidates.js';
import type { NgItemStore, PipelineStateStore, RecommendationStore } from '../ports/stores.js';
import type { ScoredItem } from '../ports/types.js';

/**
 * Active version pointers, cached per process: the request path reads every precomputed list
 * through them, so a version being written by the nightly run is never visible.
 */
export class VersionPointers {
  private readonly cache: TtlCache<string, string | undefined>;
  constructor(
    private readonly state: PipelineStateStore,
    ttlMs: number,
    now?: () => number,
  ) {
    this.cache = new TtlCache(ttlMs, now);
  }
  /** The active version of an algorithm; the last known one if the state table fails. */
  async active(algorithm: string): Promise<string | undefined> {
    try {
      return await this.cache.get(
        algorithm,
        async () => (await this.state.getActiveVersion(algorithm))?.version,
      );
    } catch (err) {
      const stale = this.cache.getStale(algorithm);
      if (stale !== undefined) return stale;
      throw err;
    }
  }

  /** Forgets the cached pointers, so the next read sees a just-published version (local runs). */
  refresh(): void {
    this.cache.invalidate();
  }
}

/**
 * Candidates precomputed by the nightly pipeline (cf, fm, session) for the active version. A published
 * version never changes, so its lists are cached without expiry in a bounded LRU: returning users
 * cost no DynamoDB read until the pointer moves.
 */
export class PrecomputedSource implements CandidateSource {
  private readonly cache: LruCache<string, ScoredItem[]>;
  constructor(
    readonly source: string,
    private readonly algorithm: string,
    private readonly pointers: VersionPointers,
    private readonly store: RecommendationStore,
    cacheEntries = 20_000,
  ) {
    this.cache = new LruCache(cacheEntries);
  }
  async candidates(userId: string, n: number): Promise<ScoredItem[]> {
    const version = await this.pointers.active(this.algorithm);
    if (version === undefined) return [];
    const list = await this.cache.getOrLoad(
      `${version}#${userId}`,
      async () => (await this.store.getUserList(this.algorithm, version, userId)) ?? [],
    );
    return list.slice(0, n);
  }
}

/** Amazon Personalize (or a stand-in with the same port) as a candidate source. */
export class PersonalizeSource implements CandidateSource {
  constructor(
    readonly source: string,
    private readonly personalize: PersonalizeRecommender,
  ) {}
  candidates(userId: string, n: number): Promise<ScoredItem[]> {
    return this.personalize.getRecommendations({ userId, numResults: n });
  }
}

/**
 * The NG list cached in the Lambda's memory with a short TTL, so an item added to the list
 * disappears from answers within that TTL. When the table fails, the last good list is used.
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
  /** The NG ids and whether they are stale (dependency failed). Throws only if never loaded. */
  async ids(): Promise<{ ids: Set<string>; stale: boolean }> {
    try {
      return { ids: await this.cache.get('all', () => this.store.allIds()), stale: false };
    } catch (err) {
      const stale = this.cache.getStale('all');
      if (stale) return { ids: stale, stale: true };
      throw err;
    }
  }
  /** Forget the cached list (after an admin change in this process). */
  invalidate(): void {
    this.cache.invalidate();
  }
}
