import { LruCache } from '../domain/cache.js';
import type { UserProfileStore } from '../ports/stores.js';
import type { UserAttributes } from '../ports/types.js';

const NONE: UserAttributes = Object.freeze({});

/**
 * Read-through cache of user profiles for the request path: profiles change only when the nightly
 * run publishes, so a returning user costs no DynamoDB read for `ttlMs`. Unknown users are cached
 * too (as "no profile"), bounded by the LRU capacity.
 */
export class CachedProfiles implements UserProfileStore {
  private readonly cache: LruCache<string, { value: UserAttributes; expires: number }>;
  private readonly inflight = new Map<string, Promise<UserAttributes | undefined>>();
  constructor(
    private readonly inner: UserProfileStore,
    private readonly ttlMs: number,
    capacity = 50_000,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new LruCache(capacity);
  }

  putProfiles(profiles: readonly { userId: string; attributes: UserAttributes }[]): Promise<void> {
    for (const p of profiles)
      this.cache.set(p.userId, { value: p.attributes, expires: this.now() + this.ttlMs });
    return this.inner.putProfiles(profiles);
  }

  async getProfile(userId: string): Promise<UserAttributes | undefined> {
    const hit = this.cache.get(userId);
    if (hit && hit.expires > this.now()) return hit.value === NONE ? undefined : hit.value;
    // concurrent misses of one user share a read
    let pending = this.inflight.get(userId);
    if (!pending) {
      pending = this.inner.getProfile(userId).finally(() => this.inflight.delete(userId));
      this.inflight.set(userId, pending);
      const value = await pending;
      this.cache.set(userId, { value: value ?? NONE, expires: this.now() + this.ttlMs });
      return value;
    }
    return pending;
  }
}
