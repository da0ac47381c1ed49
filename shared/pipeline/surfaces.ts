/**
 * Nightly lists of the shop surfaces (GET /items/{itemId}/similar and /bought-together, GET /rankings/{kind}),
 * written under the run's version beside the other lists, so they become visible with the same pointer
 * flips (the `popularity` pointer for rankings and item lists, `cf` for CF neighbours) and never half-written.
 */
import type { Dataset } from '../domain/data/dataset.js';
import { GLOBAL_SEGMENT } from '../domain/popularity/segments.js';
import {
  attributeNeighbourLists,
  boughtTogetherLists,
  rankingLists,
  type SurfaceOptions,
} from '../domain/surfaces/item-surfaces.js';
import type { PopularityStore, RecommendationStore } from '../ports/stores.js';
import type { SegmentList } from '../ports/types.js';
import { ITEM_LISTS } from '../use-cases/surfaces.js';

export { ITEM_LISTS };

export interface SurfaceCounts {
  readonly boughtTogether: number;
  readonly attributes: number;
  readonly rankings: number;
}

/**
 * Publishes bought-together and attribute-neighbour lists and the ranking lists for `version`;
 * `popularity` is the run's popularity lists (their global list orders attribute neighbours).
 */
export async function publishSurfaceLists(
  stores: { recommendations: RecommendationStore; popularityStore: PopularityStore },
  dataset: Dataset,
  version: string,
  popularity: readonly SegmentList[],
  options: SurfaceOptions = {},
): Promise<SurfaceCounts> {
  const globalScore = new Float64Array(dataset.items.size);
  const global = popularity.find((l) => l.segment === GLOBAL_SEGMENT);
  for (const { itemId, score } of global?.items ?? []) {
    const i = dataset.items.get(itemId);
    if (i >= 0) globalScore[i] = score;
  }
  const together = boughtTogetherLists(dataset, options);
  // only items without history need them as neighbours; the rest fill from their category's popularity
  // (a list per catalogue item would double the nightly writes for what the category lists already give)
  const attributes = attributeNeighbourLists(dataset, globalScore, { ...options, withoutHistoryOnly: true });
  const rankings = rankingLists(dataset, options);
  await stores.recommendations.putUserLists(ITEM_LISTS.boughtTogether, version, together);
  await stores.recommendations.putUserLists(ITEM_LISTS.attributes, version, attributes);
  await stores.popularityStore.putSegmentLists(version, rankings);
  return {
    boughtTogether: together.length,
    attributes: attributes.length,
    rankings: rankings.length,
  };
}
