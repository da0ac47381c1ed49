import { LruCache } from '../domain/cache.js';
import { withDeadline } from '../domain/deadline.js';
import type { UserProfileStore } from '../ports/stores.js';
import type { UserAttributes } from '../ports/types.js';

const NONE: UserAttributes = Object.freeze({});

/**
 * Read-through cache of user profiles for the request path: profiles change only when the nightly
 * run publishes, so a returning user costs no DynamoDB read for `ttlMs`. Unknown users are cached
 * too (as "no profile"), bounded by the LRU capacity. An expired profile is still answered when the
 * reload fails or takes longer than `staleAfterMs` (a profile only changes with the nightly run).
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

  putProfiles(profiles: readonly { userId: string; attributes: UserAttributes }[]): Promise<void> {
    for (const p of profiles)
      this.cache.set(p.userId, { value: p.attributes, expires: this.now() + this.ttlMs });
    return this.inner.putProfiles(profiles);
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
