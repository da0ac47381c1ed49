import type { Recommender } from '../algorithms/recommender.js';
import type { Dataset } from '../data/dataset.js';
import { DataError, ValidationError } from '../errors.js';
import { evaluateAlgorithms } from '../evaluation/evaluate.js';
import type { RankingMetrics } from '../evaluation/metrics.js';
import type { Split } from '../evaluation/splits.js';
import { type Params, proposeTrials, type SearchSpace, validateSearchSpace } from './search.js';

/** Metric a trial is scored by (a RankingMetrics field, @K). */
export type TuningMetric = 'precision' | 'recall' | 'ndcg' | 'map' | 'mrr';

/** One trial: train `algorithm` with `params` on the validation split's training part. */
export interface TrialSpec {
  readonly algorithm: string;
  /** 0 is the algorithm's defaults (`params` = {}). */
  readonly index: number;
  readonly params: Params;
}

export interface TrialResult extends TrialSpec {
  /** Validation score (the configured metric); absent when the params were rejected. */
  readonly score?: number;
  readonly users: number;
  readonly ms: number;
  /** Why the trainer rejected these params (bad input of the search space, not a crash). */
  readonly error?: string;
}

/** Trains with a trial's params; `seed` is the run's. */
export type TrialTrainer = (dataset: Dataset, params: Params, seed: number) => Recommender;

/**
 * Runs one trial: trains on `validation.train` and scores the validation targets (K, `metric`), the
 * same way evaluation scores a test split. A trainer rejecting the params (ValidationError or
 * DataError) is a failed trial, not a failed night.
 */
export async function runTrial(
  validation: Split,
  spec: TrialSpec,
  train: TrialTrainer,
  options: { readonly metric: TuningMetric; readonly k: number; readonly seed: number },
): Promise<TrialResult> {
  const t0 = performance.now();
  try {
    const result = await evaluateAlgorithms(validation.train, {
      algorithms: [{ name: spec.algorithm, train: (ds) => train(ds, spec.params, options.seed) }],
      split: validation,
      k: options.k,
      seed: options.seed,
    });
    const metrics: RankingMetrics = result.results[0].metrics;
    return {
      ...spec,
      score: metrics[options.metric],
      users: metrics.users,
      ms: Math.round(performance.now() - t0),
    };
  } catch (err) {
    if (!(err instanceof ValidationError || err instanceof DataError)) throw err;
    return { ...spec, users: 0, ms: Math.round(performance.now() - t0), error: err.message };
  }
}

/** What the planner knows about an algorithm it may tune. */
export interface TuningCandidate {
  readonly algorithm: string;
  /** Searched option keys; absent = only the defaults are scored (still a champion candidate). */
  readonly searchSpace?: SearchSpace;
  /** Expected milliseconds of one trial (from the last tuning or the last night's training); 0 = unknown. */
  readonly estimatedMs: number;
}

export interface TrialPlan {
  readonly trials: TrialSpec[];
  /** Estimated Lambda milliseconds of all trials (0 when no estimate was known). */
  readonly estimatedMs: number;
  /** Why some algorithms got fewer trials than their share (the time budget), if they did. */
  readonly trimmed?: string;
}

/**
 * Spreads at most `maxTrials` trials over the candidates (one defaults trial each, the rest shared
 * evenly by the tunable ones), then drops trials of the algorithm that costs the most until the
 * estimate fits `maxLambdaMs`; every candidate keeps its defaults trial.
 */
export function planTrials(
  candidates: readonly TuningCandidate[],
  budget: { readonly maxTrials: number; readonly maxLambdaMs: number; readonly seed: number },
): TrialPlan {
  for (const c of candidates) if (c.searchSpace) validateSearchSpace(c.algorithm, c.searchSpace);
  const counts = new Map(candidates.map((c) => [c.algorithm, 1]));
  const tunable = candidates.filter((c) => c.searchSpace && Object.keys(c.searchSpace).length > 0);
  let spare = Math.max(0, budget.maxTrials - candidates.length);
  for (let i = 0; spare > 0 && tunable.length > 0; i++, spare--) {
    const a = tunable[i % tunable.length].algorithm;
    counts.set(a, (counts.get(a) ?? 1) + 1);
  }
  const cost = (c: TuningCandidate) => (counts.get(c.algorithm) ?? 1) * c.estimatedMs;
  const total = () => candidates.reduce((s, c) => s + cost(c), 0);
  let trimmed: string | undefined;
  while (total() > budget.maxLambdaMs) {
    const worst = [...tunable].sort((a, b) => cost(b) - cost(a))[0];
    if (!worst || (counts.get(worst.algorithm) ?? 1) <= 1) break;
    counts.set(worst.algorithm, (counts.get(worst.algorithm) ?? 1) - 1);
    trimmed = `trials cut to fit ${Math.round(budget.maxLambdaMs / 60_000)} Lambda-minutes`;
  }
  const trials: TrialSpec[] = [];
  for (const c of candidates) {
    const params = proposeTrials(c.searchSpace ?? {}, counts.get(c.algorithm) ?? 1, budget.seed);
    params.forEach((p, index) => {
      trials.push({ algorithm: c.algorithm, index, params: p });
    });
  }
  return { trials, estimatedMs: Math.round(total()), ...(trimmed ? { trimmed } : {}) };
}

/** The best trial of one algorithm. */
export interface AlgorithmTuning {
  readonly algorithm: string;
  readonly params: Params;
  readonly score: number;
  /** Validation score of the defaults (trial 0), to show what tuning gained. */
  readonly defaultScore?: number;
  readonly trials: number;
}

export interface Selection {
  readonly best: AlgorithmTuning[];
  /** The algorithm with the best validation score, with its tuned params; absent when every trial failed. */
  readonly champion?: AlgorithmTuning;
}

/**
 * Picks each algorithm's best trial and the champion (best validation score overall). Ties keep the
 * earlier trial (the defaults first) and the earlier algorithm, so the choice is deterministic.
 */
export function selectBest(results: readonly TrialResult[]): Selection {
  const byAlgorithm = new Map<string, TrialResult[]>();
  for (const r of results) byAlgorithm.set(r.algorithm, [...(byAlgorithm.get(r.algorithm) ?? []), r]);
  const best: AlgorithmTuning[] = [];
  for (const [algorithm, trials] of byAlgorithm) {
    const scored = trials.filter((t) => t.score !== undefined).sort((a, b) => a.index - b.index);
    if (scored.length === 0) continue;
    let top = scored[0];
    for (const t of scored) if ((t.score ?? 0) > (top.score ?? 0)) top = t;
    const defaults = scored.find((t) => t.index === 0);
    best.push({
      algorithm,
      params: top.params,
      score: top.score ?? 0,
      ...(defaults?.score !== undefined ? { defaultScore: defaults.score } : {}),
      trials: trials.length,
    });
  }
  let champion: AlgorithmTuning | undefined;
  for (const b of best) if (!champion || b.score > champion.score) champion = b;
  return { best, ...(champion ? { champion } : {}) };
}
