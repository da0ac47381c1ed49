import type { RepeatPolicy } from '../domain/experiments/experiments.js';
import type { ScoredItem } from './types.js';

/** What a request adds to the user id for a source. */
export interface CandidateContext {
  /** Set on the session route: the session whose events count (else the user's recent events do). */
  readonly sessionId?: string;
  /** The request's repeat policy: a session-aware source may score the session's own items under `allow`. */
  readonly repeat?: RepeatPolicy;
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
  getRecommendations(input: { userId: string; numResults: number }): Promise<ScoredItem[]>;
}
