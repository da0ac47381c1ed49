import type { ScoredItem } from './types.js';

/** What a request asks of its candidates beyond the user (the Personalize arm passes it on). */
export interface CandidateContext {
  /** The Personalize filter mapped from the request's osusume filter, with its filterValues. */
  readonly personalizeFilter?: {
    readonly filterArn: string;
    readonly filterValues: ReadonlyMap<string, string>;
  };
}

/** Where an arm's candidates come from, for one user. */
export interface CandidateSource {
  /** Label written into each item's `source` (e.g. 'cf', 'personalize', 'personalize-standin:session'). */
  readonly source: string;
  /** Up to `n` candidates, best first; [] when the source has nothing for this user. Throws on failure. */
  candidates(userId: string, n: number, context?: CandidateContext): Promise<ScoredItem[]>;
}

/** Amazon Personalize's GetRecommendations, as the request path uses it. */
export interface PersonalizeRecommender {
  getRecommendations(input: {
    userId: string;
    numResults: number;
    /** Replaces the stage's PERSONALIZE_FILTER_ARN for this request. */
    filterArn?: string;
    filterValues?: ReadonlyMap<string, string>;
  }): Promise<ScoredItem[]>;
}
