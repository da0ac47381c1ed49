import { getAlgorithm, trainEntry } from '../algorithms/registry.js';
import { BLEND_MEMBERS } from '../algorithms/blend.js';
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

/** The tuned params of other algorithms a composite entry (the blend) is trained with. */
export interface MemberTuning {
  readonly algorithm: string;
  readonly params: Params;
}

/**
 * Trainer options of `algorithm` for `params`: for an entry with `tunedMembers` (the blend) each
 * member's tuned params go in as `memberOptions` (explicit `memberOptions` win), the weight search
 * combines those members and uses the caller's validation protocol; any other entry gets `params`
 * unchanged.
 */
export function optionsWithMembers(
  algorithm: string,
  params: Readonly<Record<string, unknown>>,
  tuned: readonly MemberTuning[],
  protocol?: string,
): Record<string, unknown> {
  if (!getAlgorithm(algorithm).tunedMembers) return { ...params };
  const members: Record<string, unknown> = {};
  for (const t of tuned)
    if ((BLEND_MEMBERS as readonly string[]).includes(t.algorithm)) members[t.algorithm] = { ...t.params };
  const explicit = (params.memberOptions ?? {}) as Record<string, unknown>;
  // the weight search combines the members that were tuned (the candidates), unless told otherwise
  const names = Object.keys(members);
  return {
    ...(protocol ? { protocol } : {}),
    ...(names.length > 0 ? { members: names } : {}),
    ...params,
    memberOptions: { ...members, ...explicit },
  };
}

/** The params a trained model says it chose itself (the blend's weights and fusion), if any. */
export function chosenParamsOf(model: Recommender): Params | undefined {
  const m = model as Recommender & { chosenParams?: () => Params };
  return typeof m.chosenParams === 'function' ? m.chosenParams() : undefined;
}

/**
 * Trains a registry algorithm with trial params, checked by its strict options schema (the run's
 * explicit options are merged by callers).
 */
export function trainWithParams(
  algorithm: string,
  dataset: Dataset,
  params: Params | Readonly<Record<string, unknown>>,
  seed: number,
): Recommender {
  return trainEntry(getAlgorithm(algorithm), dataset, params, seed);
}
