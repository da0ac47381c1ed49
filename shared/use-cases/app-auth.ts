import { createHash, timingSafeEqual } from 'node:crypto';
import { TtlCache } from '../domain/cache.js';
import type { AppKeyStore } from '../ports/app-keys.js';

/** The header shop apps send their key in (the authorizer's identity source in serverless.yml). */
export const APP_KEY_HEADER = 'x-api-key';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks a presented app key against every app's key. Keys are cached for `ttlMs` (a revoked key stops
 * working within it); when the store fails, the last keys loaded keep working. The comparison is of
 * SHA-256 digests in constant time, so neither a key's length nor its prefix leaks through timing.
 */
export class AppKeyAuthorizer {
  private readonly cache: TtlCache<'all', { appId: string; digest: Buffer }[]>;
  constructor(
    private readonly store: AppKeyStore,
    ttlMs: number,
    now?: () => number,
  ) {
    this.cache = new TtlCache(ttlMs, now);
  }

  /** The app the key belongs to, or undefined when it is missing or matches no app. */
  async authorize(presented: string | undefined): Promise<{ appId: string } | undefined> {
    if (!presented) return undefined;
    const keys = await this.keys();
    const d = digest(presented);
    let appId: string | undefined;
    // every key is compared, so the time taken does not tell which app matched
    for (const k of keys) if (timingSafeEqual(k.digest, d) && appId === undefined) appId = k.appId;
    return appId === undefined ? undefined : { appId };
  }

  private async keys(): Promise<{ appId: string; digest: Buffer }[]> {
    const load = async () =>
      [...(await this.store.load())].map(([appId, key]) => ({ appId, digest: digest(key) }));
    try {
      return await this.cache.get('all', load);
    } catch (err) {
      const stale = this.cache.getStale('all');
      if (stale) return stale;
      throw err;
    }
  }
}
