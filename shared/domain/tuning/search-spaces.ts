import { getAlgorithm, trainEntry } from '../algorithms/registry.js';
import type { Recommender } from '../algorithms/recommender.js';
import type { Dataset } from '../data/dataset.js';
import type { Params, SearchSpace } from './search.js';

/**
 * The keys the tuner searches per algorithm (ranges around the ML-100K defaults, wide enough for shops
 * of other shapes). Algorithms without an entry are scored with their defaults only, so they still
 * compete for champion.
 */
const SEARCH_SPACES = new Map<string, SearchSpace>([
  [
    'cf',
    {
      neighbours: { kind: 'int', min: 10, max: 400, log: true },
      shrink: { kind: 'int', min: 0, max: 100 },
      alpha: { kind: 'float', min: 0.5, max: 1 },
      userWeighting: { kind: 'choice', values: ['none', 'idf', 'bm25'] },
    },
  ],
  [
    'fm',
    {
      factors: { kind: 'int', min: 16, max: 128, log: true },
      learningRate: { kind: 'float', min: 0.01, max: 0.2, log: true },
      l2: { kind: 'float', min: 1e-5, max: 3e-3, log: true },
    },
  ],
]);

/** The search space of `algorithm`: its registry entry's `searchSpace`, else the one here, if any. */
export function searchSpaceOf(algorithm: string): SearchSpace | undefined {
  return getAlgorithm(algorithm).searchSpace ?? SEARCH_SPACES.get(algorithm);
}

/**
 * Trains a registry algorithm with trial params, checked by its strict options schema (the run's
 * explicit options are merged by callers).
 */
export function trainWithParams(
  algorithm: string,
  dataset: Dataset,
  params: Params,
  seed: number,
): Recommender {
  return trainEntry(getAlgorithm(algorithm), dataset, params, seed);
}
