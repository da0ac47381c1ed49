import { TtlCache } from '../domain/cache.js';
import { DeadlineError, withDeadline } from '../domain/deadline.js';
import { DependencyError } from '../domain/errors.js';
import type { PipelineStateStore, PopularityStore } from '../ports/stores.js';
import type { ScoredItem } from '../ports/types.js';

/** What the pipeline records next to a published popularity version. */
export interface PopularityMeta {
  readonly segmentColumns: string[];
  readonly lists: number;
  readonly createdAt: number;
  /** Pages of the version's item catalogue (item attributes for filters); absent before filters existed. */
  readonly itemCatalogPages?: number;
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
  private readonly loading = new Map<string, Promise<void>>();
  /** Further pages of long lists (the global ranking); a published version never changes. */
  private readonly pages: TtlCache<string, ScoredItem[] | null>;

  constructor(
    private readonly state: PipelineStateStore,
    private readonly store: PopularityStore,
    ttlMs: number,
    now: () => number = Date.now,
  ) {
    this.pointer = new TtlCache(ttlMs, now);
    this.lists = new TtlCache(ttlMs, now);
    this.pages = new TtlCache(ttlMs, now);
  }

  /**
   * The active version and its meta, or undefined when nothing was ever published. When the state table
   * fails or does not answer within `deadlineMs`, the last known version is used (stale: true); with
   * none known yet, a slow read is awaited.
   */
  async active(
    deadlineMs = Number.POSITIVE_INFINITY,
  ): Promise<{ version: string; meta: PopularityMeta; stale: boolean } | undefined> {
    try {
      const { value, stale } = await this.pointer.read(
        POPULARITY,
        async () => {
          const p = await this.state.getActiveVersion(POPULARITY);
          if (!p) return undefined;
          const meta = await this.state.getRecord<PopularityMeta>(popularityMetaKey(p.version));
          return {
            version: p.version,
            meta: meta ?? { segmentColumns: [], lists: 0, createdAt: p.updatedAt },
          };
        },
        deadlineMs,
        'state',
      );
      return value && { ...value, stale };
    } catch (err) {
      if (err instanceof DependencyError) throw err;
      throw new DependencyError('state', (err as Error).message);
    }
  }

  /**
   * The lists of the given segments for a version (missing segments are absent). Lists not cached yet
   * are read in one call; when it fails or takes longer than `deadlineMs`, the cached ones answer
   * (stale: true) and the read, if it succeeds later, fills the cache for the next request. With none
   * of them cached it waits for the read.
   */
  async segmentLists(
    version: string,
    segments: readonly string[],
    deadlineMs = Number.POSITIVE_INFINITY,
  ): Promise<{ lists: Map<string, ScoredItem[]>; stale: boolean }> {
    const out = new Map<string, ScoredItem[]>();
    const key = (s: string) => `${version}|${s}`;
    const missing = segments.filter((s) => this.lists.getStale(key(s)) === undefined);
    let stale = false;
    if (missing.length > 0) {
      const loading = this.load(version, missing);
      try {
        await withDeadline(loading, deadlineMs, 'popularity');
      } catch (err) {
        stale = true;
        if (segments.every((s) => this.lists.getStale(key(s)) === undefined)) {
          try {
            // nothing cached to answer with: waiting (bounded by the client's timeouts) beats failing
            if (!(err instanceof DeadlineError)) throw err;
            await loading;
            stale = false;
          } catch (failure) {
            if (failure instanceof DependencyError) throw failure;
            throw new DependencyError('popularity', (failure as Error).message);
          }
        }
      }
    }
    for (const s of segments) {
      const l = this.lists.getStale(key(s));
      if (l) out.set(s, l);
    }
    return { lists: out, stale };
  }

  /**
   * Page `page` (>= 1) of a segment's list, undefined past its end; read once per process. Throws a
   * DependencyError when the store fails or does not answer within `deadlineMs`.
   */
  async listPage(
    version: string,
    segment: string,
    page: number,
    deadlineMs = Number.POSITIVE_INFINITY,
  ): Promise<ScoredItem[] | undefined> {
    const key = `${version}|${page}|${segment}`;
    const cached = this.pages.getStale(key);
    if (cached !== undefined) return cached ?? undefined;
    const read = this.pages.get(
      key,
      async () => (await this.store.getListPage(version, segment, page)) ?? null,
    );
    return (await withDeadline(read, deadlineMs, 'popularity')) ?? undefined;
  }

  /** One read of several segments' lists into the cache, shared by concurrent requests for the same set. */
  private load(version: string, segments: readonly string[]): Promise<void> {
    const id = `${version}|${segments.join('\n')}`;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.store.getSegmentLists(version, segments).then(async (loaded) => {
        for (const s of segments) await this.lists.get(`${version}|${s}`, async () => loaded.get(s) ?? null);
      });
      const settle = () => this.loading.delete(id);
      pending.then(settle, settle);
      this.loading.set(id, pending);
    }
    return pending;
  }

  /** Forgets the cached pointer, so the next read sees a just-published version (local runs). */
  refresh(): void {
    this.pointer.invalidate();
  }
}
