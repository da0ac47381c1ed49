import { TtlCache } from '../domain/cache.js';
import { DependencyError } from '../domain/errors.js';
import type { PipelineStateStore, PopularityStore } from '../ports/stores.js';
import type { ScoredItem } from '../ports/types.js';

/** What the pipeline records next to a published popularity version. */
export interface PopularityMeta {
  readonly segmentColumns: string[];
  readonly lists: number;
  readonly createdAt: number;
}

export const POPULARITY = 'popularity';
export const popularityMetaKey = (version: string) => `popularity-meta#${version}`;

/**
 * Reads the active popularity version and its segment lists through per-process caches. On a
 * dependency failure it answers from the last good data (and says so), because popularity is the
 * fallback that must never fail a valid request.
 */
export class PopularitySource {
  private readonly pointer: TtlCache<string, { version: string; meta: PopularityMeta } | undefined>;
  private readonly lists: TtlCache<string, ScoredItem[] | null>;

  constructor(
    private readonly state: PipelineStateStore,
    private readonly store: PopularityStore,
    ttlMs: number,
    now: () => number = Date.now,
  ) {
    this.pointer = new TtlCache(ttlMs, now);
    this.lists = new TtlCache(ttlMs, now);
  }

  /** The active version and its meta, or undefined when nothing was ever published. */
  async active(): Promise<{ version: string; meta: PopularityMeta; stale: boolean } | undefined> {
    try {
      const v = await this.pointer.get(POPULARITY, async () => {
        const p = await this.state.getActiveVersion(POPULARITY);
        if (!p) return undefined;
        const meta = await this.state.getRecord<PopularityMeta>(popularityMetaKey(p.version));
        return { version: p.version, meta: meta ?? { segmentColumns: [], lists: 0, createdAt: p.updatedAt } };
      });
      return v && { ...v, stale: false };
    } catch (err) {
      const stale = this.pointer.getStale(POPULARITY);
      if (stale) return { ...stale, stale: true };
      throw new DependencyError('state', (err as Error).message);
    }
  }

  /** The lists of the given segments for a version (missing segments are absent). */
  async segmentLists(
    version: string,
    segments: readonly string[],
  ): Promise<{ lists: Map<string, ScoredItem[]>; stale: boolean }> {
    const out = new Map<string, ScoredItem[]>();
    const missing = segments.filter((s) => {
      const cached = this.lists.getStale(`${version}|${s}`);
      return cached === undefined;
    });
    let stale = false;
    if (missing.length > 0) {
      try {
        const loaded = await this.store.getSegmentLists(version, missing);
        for (const s of missing) {
          await this.lists.get(`${version}|${s}`, async () => loaded.get(s) ?? null);
        }
      } catch (err) {
        stale = true;
        if (segments.every((s) => this.lists.getStale(`${version}|${s}`) === undefined)) {
          throw new DependencyError('popularity', (err as Error).message);
        }
      }
    }
    for (const s of segments) {
      const l = this.lists.getStale(`${version}|${s}`);
      if (l) out.set(s, l);
    }
    return { lists: out, stale };
  }

  /** Forgets the cached pointer, so the next read sees a just-published version (local runs). */
  refresh(): void {
    this.pointer.invalidate();
  }
}
