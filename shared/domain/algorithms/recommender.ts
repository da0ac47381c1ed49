import type { Dataset } from '../data/dataset.js';

/** Top-N result for one user: item indices (into Dataset.items) and their scores, best first. */
export interface TopN {
  readonly items: Int32Array;
  readonly scores: Float32Array;
}

export interface RecommendOptions {
  /** Include items the user already interacted with in training (default false: they are excluded). */
  readonly includeSeen?: boolean;
}

/**
 * A trained model. Users and items are dense indices of the Dataset it was trained on; a user index
 * outside the training data (or with no history) may return fewer than n items: callers fill from
 * popularity.
 */
export interface Recommender {
  readonly name: string;
  recommend(user: number, n: number, options?: RecommendOptions): TopN;
}

/** Trains a recommender on a dataset (evaluation passes a dataset whose interactions are the train split). */
export type Trainer<O = unknown> = (dataset: Dataset, options?: O) => Recommender;

/** Default weights per event type name (case-insensitive); unknown types weigh 1. */
export const DEFAULT_EVENT_WEIGHTS: Readonly<Record<string, number>> = {
  view: 1,
  pv: 1,
  click: 1,
  favorite: 3,
  fav: 3,
  cart: 4,
  'add-to-cart': 4,
  purchase: 6,
  buy: 6,
};
