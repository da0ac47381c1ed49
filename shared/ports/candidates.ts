import type { RepeatPolicy } from '../domain/experiments/experiments.js';
import type { ScoredItem } from './types.js';

/** What a request adds to the user id for a source. */
export interface CandidateContext {
  /** Set on the session route: the session whose events count (else the user's recent events do). */
  readonly sessionId?: string;
  /** Client-held recent items of the session route (`items=`, oldest first), after the stored events. */
  readonly recentItems?: readonly string[];
  /**
   * Set on the session route while no event of the session carries a userId: the id a source gets is a
   * sessionId, which has no profile nor nightly per-user list, so sources keyed by trained users skip
   * that read (two DynamoDB reads fewer per anonymous request).
   */
  readonly anonymous?: boolean;
  /** The request's repeat policy: a session-aware source may score the session's own items under `allow`. */
  readonly repeat?: RepeatPolicy;
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
  /**
   * Up to `n` candidates, best first; [] when the source has nothing for this user. Throws on failure.
   * For an anonymous session `userId` is the sessionId (as Personalize serves anonymous visitors).
   */
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

/** Where an item surface's candidates come from, for one item (and the shopper, when known). */
export interface ItemCandidateSource {
  /** Label written into each item's `source` (e.g. 'cf-items', 'personalize'). */
  readonly source: string;
  /**
   * Up to `n` items for `itemId`, best first; [] when the source has nothing for it. Throws on failure.
   * `context` carries the request's mapped Personalize filter (only Personalize sources use it).
   */
  candidates(itemId: string, n: number, userId?: string, context?: CandidateContext): Promise<ScoredItem[]>;
}

/** Amazon Personalize's GetRecommendations with an itemId (a Similar-Items / SIMS campaign). */
export interface PersonalizeSimilarItems {
  similarItems(input: {
    itemId: string;
    userId?: string;
    numResults: number;
    /** Replaces the stage's filter for this request (the osusume filter's mapped ARN). */
    filterArn?: string;
    filterValues?: ReadonlyMap<string, string>;
  }): Promise<ScoredItem[]>;
}

/** Amazon Personalize's GetPersonalizedRanking (a Personalized-Ranking campaign). */
export interface PersonalizeItemRanker {
  rank(input: {
    userId: string;
    inputList: readonly string[];
    /** Replaces the stage's filter for this request (the osusume filter's mapped ARN). */
    filterArn?: string;
    filterValues?: ReadonlyMap<string, string>;
  }): Promise<ScoredItem[]>;
}
