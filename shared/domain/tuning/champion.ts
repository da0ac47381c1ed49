import { getAlgorithm } from '../algorithms/registry.js';
import type { Recommender } from '../algorithms/recommender.js';
import type { Dataset } from '../data/dataset.js';
import type { SplitProtocol } from '../evaluation/splits.js';
import type { Params } from './search.js';
import { chosenParamsOf, optionsWithMembers } from './search-spaces.js';
import {
  planTrials,
  runTrial,
  type Selection,
  selectBest,
  type TrialResult,
  type TrialSpec,
  type TuningCandidate,
  type TuningMetric,
} from './trials.js';
import { carveValidation } from './validation.js';

export interface ChampionSearchOptions {
  readonly candidates: readonly TuningCandidate[];
  readonly train: (algorithm: string, dataset: Dataset, params: Params, seed: number) => Recommender;
  readonly maxTrials: number;
  /** Stop starting trials after this many milliseconds (in-process runs; the nightly budgets Lambda time). */
  readonly maxMs: number;
  readonly seed: number;
  readonly metric: TuningMetric;
  readonly k: number;
  readonly protocol?: SplitProtocol;
  readonly maxUsers?: number;
  readonly onTrial?: (result: TrialResult, done: number, total: number) => void;
}

export interface ChampionSearch {
  readonly selection: Selection;
  readonly results: TrialResult[];
  /** Trials planned but not run because `maxMs` ran out. */
  readonly skipped: number;
  readonly validationUsers: number;
  readonly ms: number;
}

/**
 * Tunes every candidate on a validation split carved from `dataset` (the data the champion will be
 * trained on) and picks the champion, in this process: what `--algorithm auto` runs from a data dir.
 * Trials interleave the algorithms (every defaults trial first), so a budget cut short still compares
 * all of them.
 */
export async function searchChampion(
  dataset: Dataset,
  options: ChampionSearchOptions,
): Promise<ChampionSearch> {
  const t0 = performance.now();
  const validation = carveValidation(dataset, {
    protocol: options.protocol,
    seed: options.seed + 1,
    maxUsers: options.maxUsers,
  });
  const plan = planTrials(options.candidates, {
    maxTrials: options.maxTrials,
    maxLambdaMs: Number.POSITIVE_INFINITY,
    seed: options.seed,
  });
  // a composite (the blend) is tried last, with the members' best params found by then
  const composite = (a: string) => getAlgorithm(a).tunedMembers === true;
  const order: TrialSpec[] = [...plan.trials].sort(
    (a, b) => Number(composite(a.algorithm)) - Number(composite(b.algorithm)) || a.index - b.index,
  );
  const results: TrialResult[] = [];
  for (const spec of order) {
    // the defaults of every algorithm always run, so a champion exists even on a tiny budget
    if (spec.index > 0 && performance.now() - t0 > options.maxMs) break;
    const params = optionsWithMembers(
      spec.algorithm,
      spec.params,
      selectBest(results).best,
      options.protocol,
    ) as Params;
    let model: Recommender | undefined;
    const r = await runTrial(
      validation,
      { ...spec, params },
      (ds, p, seed) => {
        model = options.train(spec.algorithm, ds, p, seed);
        return model;
      },
      options,
    );
    // the recorded params are what the next training needs: the blend's chosen weights, not its members'
    const chosen = model ? chosenParamsOf(model) : undefined;
    const recorded: TrialResult = { ...r, params: chosen ?? spec.params };
    results.push(recorded);
    options.onTrial?.(recorded, results.length, order.length);
  }
  return {
    selection: selectBest(results),
    results,
    skipped: order.length - results.length,
    validationUsers: validation.testUsers,
    ms: Math.round(performance.now() - t0),
  };
}

/** One line saying which algorithm won and why (printed by the CLI, stored with the tuning record). */
export function describeChampion(selection: Selection, metric: TuningMetric, k: number): string {
  const c = selection.champion;
  if (!c) return 'no champion: every trial failed';
  const others = selection.best
    .filter((b) => b.algorithm !== c.algorithm)
    .map((b) => `${b.algorithm} ${b.score.toFixed(4)}`)
    .join(', ');
  const gain = c.defaultScore !== undefined ? ` (defaults ${c.defaultScore.toFixed(4)})` : '';
  return `champion ${c.algorithm}: validation ${metric}@${k} ${c.score.toFixed(4)}${gain} with ${JSON.stringify(c.params)}, best of ${c.trials} trials${others ? `; others: ${others}` : ''}`;
}
