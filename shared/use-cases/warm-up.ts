import { GLOBAL_SEGMENT } from '../domain/popularity/segments.js';
import type { NgList, VersionPointers } from './candidate-sources.js';
import type { DatasetColumnsSource } from './catalog.js';
import type { ItemCatalogs } from './filters.js';
import type { PopularitySource } from './popularity-source.js';

/** What every list request reads before its own lookups: process-wide caches of slowly changing data. */
export interface WarmUpDeps {
  readonly ngList: Pick<NgList, 'ids'>;
  readonly popularity: Pick<PopularitySource, 'active' | 'segmentLists'>;
  readonly pointers: Pick<VersionPointers, 'active'>;
  readonly catalogs: Pick<ItemCatalogs, 'catalog'>;
  readonly columns: Pick<DatasetColumnsSource, 'columns'>;
}

/**
 * Loads, once at a request function's init, what every request reads through the process-wide caches:
 * the NG list, the popularity pointer with its global list and item catalogue, the dataset columns and
 * the given algorithms' version pointers. The first requests then find them in memory instead of all
 * queueing behind the same loads (and the SDK's request path is compiled by then). A handful of reads,
 * each bounded by the client's own timeouts; a failure is left to the request that needs the data,
 * which loads it again. Resolves when every load has settled, never rejects.
 */
export async function warmRequestCaches(deps: WarmUpDeps, algorithms: readonly string[]): Promise<void> {
  const popularity = deps.popularity.active().then(async (active) => {
    if (!active) return;
    await Promise.all([
      deps.popularity.segmentLists(active.version, [GLOBAL_SEGMENT]),
      deps.catalogs.catalog(active.version, active.meta.itemCatalogPages),
    ]);
  });
  await Promise.allSettled([
    deps.ngList.ids(),
    popularity,
    deps.columns.columns('users'),
    deps.columns.columns('items'),
    ...algorithms.map((a) => deps.pointers.active(a)),
  ]);
}
