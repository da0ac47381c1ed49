import type { Dataset } from '../data/dataset.js';
import { ValidationError } from '../errors.js';
import { type PopularityOptions, trainPopularity, trainSegmentPopularity } from '../popularity/popularity.js';
import { type FmOptions, trainFm } from './fm.js';
import { type ItemCfOptions, trainItemCf } from './item-cf.js';
import type { Recommender } from './recommender.js';
import { type SessionOptions, trainSession } from './session.js';
import { parseSessionKnnOptions } from './session-knn/options.js';
import { trainSessionKnn } from './session-knn/train.js';

/**
 * Options every trainer accepts from the registry: algorithm-specific keys are passed through untouched
 * (each trainer validates its own); `seed` is used by stochastic trainers and ignored by the others.
 */
export type TrainOptions = Readonly<Record<string, unknown>> & { readonly seed?: number };

export interface AlgorithmEntry {
  /** Trains on `dataset` (evaluation passes the training split). */
  readonly train: (dataset: Dataset, options?: TrainOptions) => Recommender;
  readonly description: string;
}

/**
 * Every algorithm the CLI, evaluation and batch inference can train, by the name users type
 * (`--algorithm cf`). Adding an algorithm = one entry here.
 */
export const ALGORITHMS: Readonly<Record<string, AlgorithmEntry>> = {
  cf: {
    train: (dataset, options) => trainItemCf(dataset, options as ItemCfOptions),
    description: 'item-based collaborative filtering (ItemKNN, cosine with shrinkage, top-K neighbours)',
  },
  fm: {
    train: (dataset, options) => trainFm(dataset, options as FmOptions),
    description:
      'factorization machine (WARP-batch/WARP/BPR, user/item attributes and history as features, early stopping, 2-member ensemble)',
  },
  popularity: {
    train: (dataset, options) => trainPopularity(dataset, options as PopularityOptions),
    description: 'global popularity (event-weighted, time-decayed); the cold-user fallback',
  },
  'popularity:segment': {
    train: (dataset, options) => trainSegmentPopularity(dataset, options as PopularityOptions),
    description: 'popularity per user segment (user attributes), backing off to global',
  },
  session: {
    train: (dataset, options) => trainSession(dataset, options as SessionOptions),
    description: 'session-aware next items: recent events × transition + co-occurrence neighbours',
  },
  'session-knn': {
    train: (dataset, options) => {
      const { params, settings } = parseSessionKnnOptions(options);
      return trainSessionKnn(dataset, params, settings).model;
    },
    description:
      'session kNN (V-STAN family) blended with sequential rules and a learned repeat model, tuned on a validation split',
  },
};

/** Names of the registered algorithms, in registry order. */
export function algorithmNames(): string[] {
  return Object.keys(ALGORITHMS);
}

/** The trainer of `name`; throws a ValidationError naming the allowed values when unknown. */
export function getTrainer(name: string): AlgorithmEntry['train'] {
  const entry = Object.hasOwn(ALGORITHMS, name) ? ALGORITHMS[name] : undefined;
  if (entry === undefined) {
    throw new ValidationError(
      `unknown algorithm "${name}"; allowed: ${algorithmNames().join(', ')}`,
      'algorithm',
    );
  }
  return entry.train;
}
