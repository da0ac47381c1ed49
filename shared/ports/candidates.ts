import type { ScoredItem } from './types.js';

/** Where an arm's candidates come from, for one user. */
export interface CandidateSource {
  /** Label written into each item's `source` (e.g. 'cf', 'personalize', 'personalize-standin:session'). */
  readonly source: string;
  /** Up to `n` candidates, best first; [] when the source has nothing for this user. Throws on failure. */
  candidates(userId: string, n: number): Promise<ScoredItem[]>;
}

/** Amazon Personalize's GetRecommendations, as the request path uses it. */
export interface PersonalizeRecommender {
  getRecommendations(input: { userId: string; numResults: number }): Promise<ScoredItem[]>;
}
