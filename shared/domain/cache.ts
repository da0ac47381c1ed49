/**
 * A per-process TTL cache for values the request Lambda re-reads often (NG list, version pointers,
 * popularity lists). It also remembers the last value it loaded successfully, so a failing dependency
 * can be answered from stale data (`getStale`) instead of an error.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expires: number }>();
  private readonly inflight = new Map<K, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the cached value or loads it (concurrent callers share one load). */
  async get(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.now()) return hit.value;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = load().then(
      (value) => {
        this.entries.set(key, { value, expires: this.now() + this.ttlMs });
        this.inflight.delete(key);
        return value;
      },
      (err: unknown) => {
        this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, p);
    return p;
  }

  /** The last successfully loaded value, however old (undefined if never loaded). */
  getStale(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Drops one key (or everything) so the next get reloads. */
  invalidate(key?: K): void {
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }
}

/**
 * A bounded least-recently-used map (Map keeps insertion order, so re-inserting on read makes the
 * first key the eldest). Used for immutable data such as a published version's per-user lists.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  private readonly inflight = new Map<K, Promise<V>>();
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
      pending = load().finally(() => this.inflight.delete(key));
      pending.then(
        (v) => this.set(key, v),
        () => undefined,
      );
      this.inflight.set(key, pending);
    }
    return pending;
  }

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value as K);
    this.map.set(key, value);
  }

  get size(): number {
    return this.map.size;
  }
}
