import { randomUUID } from 'node:crypto';
import { DependencyError } from '../domain/errors.js';
import { fillFromChain } from '../domain/popularity/popularity.js';
import { segmentChain } from '../domain/popularity/segments.js';
import type { RecommendationRequest } from '../domain/recommend/request.js';
import type { UserProfileStore } from '../ports/stores.js';
import type { UserAttributes } from '../ports/types.js';
import type { PopularitySource } from './popularity-source.js';

export interface RecommendationItem {
  readonly itemId: string;
  readonly score: number;
}

/** The API's answer, in Amazon Personalize's field names. */
export interface RecommendationResponse {
  readonly recommendationId: string;
  readonly userId: string;
  readonly itemList: RecommendationItem[];
  readonly source: string;
  readonly segment: string;
  readonly degraded: boolean;
}

export interface GetRecommendationsDeps {
  readonly profiles: UserProfileStore;
  readonly popularity: PopularitySource;
}

/**
 * Returns a user's recommendations from the popularity ranking of their segment (attributes from
 * users.csv), backing off to coarser segments and then the global ranking until the list is full.
 */
export async function getRecommendations(
  deps: GetRecommendationsDeps,
  req: RecommendationRequest,
): Promise<RecommendationResponse> {
  let degraded = false;
  let attributes: UserAttributes = {};
  try {
    attributes = (await deps.profiles.getProfile(req.userId)) ?? {};
  } catch {
    degraded = true; // unknown segment: the global list still answers
  }
  const active = await deps.popularity.active();
  if (!active) throw new DependencyError('popularity', 'no popularity version has been published yet');
  const chain = segmentChain(attributes, active.meta.segmentColumns);
  const { lists, stale } = await deps.popularity.segmentLists(active.version, chain);
  const filled = fillFromChain(chain, lists, req.numResults, () => false);
  return {
    recommendationId: randomUUID(),
    userId: req.userId,
    itemList: filled.map((e) => ({ itemId: e.itemId, score: e.score })),
    source: 'popularity',
    segment: filled[0]?.segment ?? chain[chain.length - 1],
    degraded: degraded || stale || active.stale,
  };
}
