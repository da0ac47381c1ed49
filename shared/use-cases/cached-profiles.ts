import { LruCache } from '../domain/cache.js';
import { withDeadline } from '../domain/deadline.js';
import type { UserProfileStore } from '../ports/stores.js';
import type { UserAttributes } from '../ports/types.js';

const NONE: UserAttributes = Object.freeze({});

/**
 * Read-through cache of user profiles for the request path: profiles change with the nightly run and
 * with POST /users, so a returning user costs no DynamoDB read for `ttlMs`. Unknown users are cached
 * too (as "no profile"), bounded by the LRU capacity. An expired profile is still answered when the
 * reload fails or takes longer than `staleAfterMs`. A write through {@link putProfiles} shows at once
 * in this process; other processes see it when their cached entry expires.
 */
export class CachedProfiles implements UserProfileStore {
  private readonly cache: LruCache<string, { value: UserAttributes; expires: number }>;
  constructor(
    private readonly inner: UserProfileStore,
    private readonly ttlMs: number,
    capacity = 50_000,
    private readonly now: () => number = Date.now,
    private readonly staleAfterMs = Number.POSITIVE_INFINITY,
  ) {
    this.cache = new LruCache(capacity);
  }

  /**
   * Writes through, then caches the written profiles: the next getProfile in this process answers them,
   * and a read of the old profile still in flight cannot overwrite them (other processes see them after
   * their entry's `ttlMs`).
   */
  async putProfiles(profiles: readonly { userId: string; attributes: UserAttributes }[]): Promise<void> {
    await this.inner.putProfiles(profiles);
    for (const p of profiles)
      this.cache.set(p.userId, { value: p.attributes, expires: this.now() + this.ttlMs });
  }

  /** The stored profile, bypassing the cache (a write merges over what is stored, not over a cached copy). */
  getStoredProfile(userId: string): Promise<UserAttributes | undefined> {
    return this.inner.getProfile(userId);
  }

  async getProfile(userId: string): Promise<UserAttributes | undefined> {
    const previous = this.cache.get(userId);
    const loading = this.cache.getOrLoad(
      userId,
      async () => ({
        value: (await this.inner.getProfile(userId)) ?? NONE,
        expires: this.now() + this.ttlMs,
      }),
      (e) => e.expires > this.now(),
    );
    let entry = previous;
    try {
      entry = previous ? await withDeadline(loading, this.staleAfterMs, 'profiles') : await loading;
    } catch (err) {
      if (!previous) throw err;
    }
    return entry === undefined || entry.value === NONE ? undefined : entry.value;
  }
}
