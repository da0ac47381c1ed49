import type { PersonalizeRecommender } from '../../ports/candidates.js';
import type { RecommendationStore } from '../../ports/stores.js';
import type { ScoredItem } from '../../ports/types.js';
import type { VersionPointers } from '../../use-cases/candidate-sources.js';

/** The `source` label of items served by the stand-in, so nobody mistakes them for Personalize's. */
export const PERSONALIZE_STAND_IN_SOURCE = 'personalize-standin:session';

/**
 * LOCAL STAND-IN for Amazon Personalize (there is no Personalize emulator): it answers the
 * Personalize port from osusume's own session-aware model, published by the nightly pipeline under
 * the 'session' algorithm. Used only when no campaign ARN is configured.
 */
export class LocalPersonalizeStandIn implements PersonalizeRecommender {
  constructor(
    private readonly pointers: VersionPointers,
    private readonly store: RecommendationStore,
    private readonly algorithm = 'session',
  ) {}

  async getRecommendations(input: { userId: string; numResults: number }): Promise<ScoredItem[]> {
    const version = await this.pointers.active(this.algorithm);
    if (version === undefined) return [];
    return ((await this.store.getUserList(this.algorithm, version, input.userId)) ?? []).slice(
      0,
      input.numResults,
    );
  }
}
