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

/** Where an item surface's candidates come from, for one item (and the shopper, when known). */
export interface ItemCandidateSource {
  /** Label written into each item's `source` (e.g. 'cf-items', 'personalize'). */
  readonly source: string;
  /** Up to `n` items for `itemId`, best first; [] when the source has nothing for it. Throws on failure. */
  candidates(itemId: string, n: number, userId?: string): Promise<ScoredItem[]>;
}

/** Amazon Personalize's GetRecommendations with an itemId (a Similar-Items / SIMS campaign). */
export interface PersonalizeSimilarItems {
  similarItems(input: { itemId: string; userId?: string; numResults: number }): Promise<ScoredItem[]>;
}

/** Amazon Personalize's GetPersonalizedRanking (a Personalized-Ranking campaign). */
export interface PersonalizeItemRanker {
  rank(input: { userId: string; inputList: readonly string[] }): Promise<ScoredItem[]>;
}
