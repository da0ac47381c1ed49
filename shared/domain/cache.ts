import { DeadlineError, withDeadline } from './deadline.js';

/** What `TtlCache.read` answers: the value and whether it is stale (the load failed or was too slow). */
export interface CacheRead<V> {
  readonly value: V;
  readonly stale: boolean;
}

/**
 * A per-process TTL cache for values the request Lambda re-reads often (NG list, version pointers,
 * popularity lists). It also remembers the last value it loaded successfully, so a failing or slow
 * dependency can be answered from stale data (`read`, `getStale`) instead of an error or a wait.
 *
 * Invalidation is generation-based: a load that started before `invalidate(key)` never populates the
 * cache, and a caller waiting on it loads again, so nothing read before an invalidation is served after it.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expires: number }>();
  private readonly inflight = new Map<K, { promise: Promise<V>; generation: number }>();
  private readonly generations = new Map<K, number>();
  private clearedAt = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private generation(key: K): number {
    return Math.max(this.generations.get(key) ?? 0, this.clearedAt);
  }

  /**
   * Returns the cached value or loads it (concurrent callers share one load). If the key is invalidated
   * while the load runs, the result is discarded and loaded again.
   */
  async get(key: K, load: () => Promise<V>): Promise<V> {
    for (;;) {
      const hit = this.entries.get(key);
      if (hit && hit.expires > this.now()) return hit.value;
      const generation = this.generation(key);
      const value = await this.start(key, load);
      if (this.generation(key) === generation) return value;
    }
  }

  /**
   * Like `get`, but when the load fails or takes longer than `deadlineMs`, the last good value is
   * returned as stale (the load keeps running and refreshes the cache for later callers). Without any
   * value there is nothing better to serve, so it waits for the load (which the client's own timeouts
   * bound) and throws its failure.
   */
  async read(key: K, load: () => Promise<V>, deadlineMs: number, dependency: string): Promise<CacheRead<V>> {
    const fresh = this.get(key, load);
    try {
      return { value: await withDeadline(fresh, deadlineMs, dependency), stale: false };
    } catch (err) {
      const stale = this.entries.get(key);
      if (stale) return { value: stale.value, stale: true };
      if (err instanceof DeadlineError) return { value: await fresh, stale: false };
      throw err;
    }
  }

  private start(key: K, load: () => Promise<V>): Promise<V> {
    const generation = this.generation(key);
    const pending = this.inflight.get(key);
    if (pending && pending.generation === generation) return pending.promise;
    const promise = load().then((value) => {
      // a load that began before an invalidation must not put the old value back
      if (this.generation(key) === generation) {
        this.entries.set(key, { value, expires: this.now() + this.ttlMs });
      }
      return value;
    });
    const settle = () => {
      if (this.inflight.get(key)?.promise === promise) this.inflight.delete(key);
    };
    promise.then(settle, settle);
    this.inflight.set(key, { promise, generation });
    return promise;
  }

  /** The last successfully loaded value, however old (undefined if never loaded). */
  getStale(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  /**
   * Makes the next get of one key (or of every key) load again, and discards loads already in flight.
   * The last value stays available as stale data; `patch` updates it (e.g. adds the NG item just written,
   * so even a stale answer contains it).
   */
  invalidate(key?: K, patch?: (value: V) => V): void {
    if (key === undefined) {
      let newest = this.clearedAt;
      for (const g of this.generations.values()) newest = Math.max(newest, g);
      this.clearedAt = newest + 1;
      for (const [k, e] of this.entries)
        this.entries.set(k, { value: patch ? patch(e.value) : e.value, expires: 0 });
      return;
    }
    this.generations.set(key, this.generation(key) + 1);
    const e = this.entries.get(key);
    if (e) this.entries.set(key, { value: patch ? patch(e.value) : e.value, expires: 0 });
  }
}

/**
 * A bounded, approximately least-recently-used map (Map keeps insertion order: the first key is the
 * eldest). Used for immutable data such as a published version's per-user lists. A hit moves its entry to
 * the newest end only once it has aged past half the capacity: re-inserting on every hit (delete + set)
 * made each hot read allocate Map slots in old space, the GC pauses behind the request path's p99
 * (bench/results/surfaces.md). An entry read within the newest half survives at least capacity/2 inserts.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; stamp: number }>();
  private readonly inflight = new Map<K, Promise<V>>();
  /** Counts inserts and moves; an entry's stamp is the clock at its last one. */
  private clock = 0;
  constructor(private readonly capacity: number) {}

  /**
   * The cached value (if `fresh` accepts it), or one shared load for all concurrent misses of a key (a
   * hot user's first requests cost one read, not one each); the loaded value is cached, a failed load is not.
   */
  getOrLoad(key: K, load: () => Promise<V>, fresh?: (value: V) => boolean): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined && (!fresh || fresh(hit))) return Promise.resolve(hit);
    let pending = this.inflight.get(key);
    if (!pending) {
      const promise = load();
      // only the load still registered caches its value: a set() meanwhile (a write) supersedes it
      const settle = (v?: V, ok = false) => {
        if (this.inflight.get(key) !== promise) return;
        this.inflight.delete(key);
        if (ok) this.set(key, v as V);
      };
      promise.then(
        (v) => settle(v, true),
        () => settle(),
      );
      this.inflight.set(key, promise);
      pending = promise;
    }
    return pending;
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    if (this.clock - entry.stamp >= this.capacity >> 1) {
      this.map.delete(key);
      entry.stamp = ++this.clock;
      this.map.set(key, entry);
    }
    return entry.value;
  }

  /** Caches `value`; a load of the key in flight is superseded and will not overwrite it. */
  set(key: K, value: V): void {
    this.inflight.delete(key);
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value as K);
    this.map.set(key, { value, stamp: ++this.clock });
  }

  get size(): number {
    return this.map.size;
  }
}
