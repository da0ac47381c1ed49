/**
 * The nightly Tune stage (statemachines/nightly-scoring.asl.json: PlanTuning → TuneDue → TuneTrials Map
 * → SelectChampion, or UseStoredTuning when not due): per-shop hyperparameters searched on a validation
 * split carved from the evaluation's training part, only when due, stored and reused on the other nights.
 */
import type { Dataset } from '../domain/data/dataset.js';
import type { Split } from '../domain/evaluation/splits.js';
import { evaluationSplitOf } from './evaluation-split.js';
import { keepBest, trainOnce } from '../domain/algorithms/train-memo.js';
import { parseOptions } from '../domain/algorithms/option-schemas.js';
import { decideTuning } from '../domain/tuning/policy.js';
import type { Params } from '../domain/tuning/search.js';
import { getAlgorithm } from '../domain/algorithms/registry.js';
import type { Recommender } from '../domain/algorithms/recommender.js';
import {
  chosenParamsOf,
  type MemberTuning,
  optionsWithMembers,
  searchSpaceOf,
} from '../domain/tuning/search-spaces.js';
import {
  type AlgorithmTuning,
  planTrials,
  runTrial,
  selectBest,
  type TrialResult,
  type TrialSpec,
} from '../domain/tuning/trials.js';
import { carveValidation } from '../domain/tuning/validation.js';
import { describeChampion } from '../domain/tuning/champion.js';
import type { PipelineDeps } from './pipeline-container.js';
import { loadSnapshot } from './snapshot.js';

/** State-table key of the last tuning (TunedParamsRecord). */
export const TUNED_PARAMS_KEY = 'tuned-params';

/** What a tuning night stores: the best params per algorithm with their validation score, the log, the date. */
export interface TunedParamsRecord {
  readonly tunedAt: string;
  /** Nightly run version that tuned. */
  readonly version: string;
  /** Interactions of that night's snapshot (the growth rule compares with it). */
  readonly interactions: number;
  readonly reason: string;
  readonly metric: string;
  readonly protocol: string;
  readonly best: AlgorithmTuning[];
  readonly champion?: AlgorithmTuning;
  /** One line: which algorithm won and why. */
  readonly summary: string;
  /** Every trial (params, score, ms). */
  readonly trials: TrialResult[];
  /** Lambda milliseconds of all trials. */
  readonly lambdaMs: number;
}

/** What the Train, Evaluate and Publish states read at $.run.tuned. */
export interface RunTuning {
  /** `tuned`: tonight's trials; `stored`: a previous night's params reused; `none`: nothing tuned yet. */
  readonly source: 'tuned' | 'stored' | 'none';
  readonly reason: string;
  readonly tunedAt?: string;
  readonly params: { readonly algorithm: string; readonly params: Params; readonly score: number }[];
  readonly champion: { readonly algorithm: string; readonly score: number; readonly params: Params } | null;
}

/** Input of PlanTuning ($.run of Prepare). */
export interface PlanTuningInput {
  readonly run: {
    readonly version: string;
    readonly interactions: number;
    readonly seed: number;
    readonly tune?: boolean;
    readonly maxTrials?: number;
  };
  /** Algorithms that compete (the scored ones: their per-user lists can serve the `auto` arm). */
  readonly algorithms: readonly string[];
}

export interface TuningPlan {
  readonly due: boolean;
  readonly reason: string;
  readonly trials: TrialSpec[];
  /** Trials of composite candidates (the blend), run after `trials` with the members' best params. */
  readonly compositeTrials: TrialSpec[];
  readonly estimatedMs: number;
  readonly trimmed?: string;
  /** The Tune Map's MaxConcurrency (MaxConcurrencyPath). */
  readonly maxConcurrency: number;
  /** The stored params the night reuses when not due (or when tonight's trials fail). */
  readonly tuned: RunTuning;
}

/** The run's view of a tuning record. */
function runTuning(
  record: TunedParamsRecord | undefined,
  source: RunTuning['source'],
  reason: string,
): RunTuning {
  if (!record) return { source: 'none', reason, params: [], champion: null };
  const c = record.champion;
  return {
    source,
    reason,
    tunedAt: record.tunedAt,
    params: record.best.map((b) => ({ algorithm: b.algorithm, params: b.params, score: b.score })),
    champion: c ? { algorithm: c.algorithm, score: c.score, params: c.params } : null,
  };
}

/** Median trial milliseconds per algorithm in a previous tuning (the time budget's estimate). */
function trialEstimates(last: TunedParamsRecord | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!last) return out;
  const byAlgorithm = new Map<string, number[]>();
  for (const t of last.trials) byAlgorithm.set(t.algorithm, [...(byAlgorithm.get(t.algorithm) ?? []), t.ms]);
  for (const [a, ms] of byAlgorithm) out.set(a, ms.sort((x, y) => x - y)[Math.floor(ms.length / 2)]);
  return out;
}

/** PlanTuning: decides whether tonight tunes (due rule) and, if so, which trials run within the budget. */
export async function planTuning(deps: PipelineDeps, input: PlanTuningInput): Promise<TuningPlan> {
  const cfg = deps.config;
  const last = await deps.state.getRecord<TunedParamsRecord>(TUNED_PARAMS_KEY);
  const decision = decideTuning({
    manual: input.run.tune === true,
    last,
    interactions: input.run.interactions,
    now: new Date(),
    policy: { everyDays: cfg.TUNING_EVERY_DAYS, growthShare: cfg.TUNING_GROWTH_SHARE },
  });
  const maxConcurrency = cfg.TUNING_MAX_CONCURRENCY;
  if (!decision.due)
    return {
      due: false,
      reason: decision.reason,
      trials: [],
      compositeTrials: [],
      estimatedMs: 0,
      maxConcurrency,
      tuned: runTuning(last, 'stored', decision.reason),
    };
  const estimates = trialEstimates(last);
  const plan = planTrials(
    input.algorithms.map((algorithm) => ({
      algorithm,
      searchSpace: searchSpaceOf(algorithm),
      estimatedMs: estimates.get(algorithm) ?? 0,
    })),
    {
      maxTrials: input.run.maxTrials ?? cfg.TUNING_MAX_TRIALS,
      maxLambdaMs: cfg.TUNING_MAX_LAMBDA_MINUTES * 60_000,
      seed: input.run.seed,
    },
  );
  const composite = (t: TrialSpec) => getAlgorithm(t.algorithm).tunedMembers === true;
  return {
    due: true,
    reason: decision.reason,
    trials: plan.trials.filter((t) => !composite(t)),
    compositeTrials: plan.trials.filter(composite),
    estimatedMs: plan.estimatedMs,
    ...(plan.trimmed ? { trimmed: plan.trimmed } : {}),
    maxConcurrency,
    // what the night uses if the trials fail: the stored params, so a failed tuning never blocks the refresh
    tuned: runTuning(
      last,
      last ? 'stored' : 'none',
      `${decision.reason}, but tonight's tuning did not finish`,
    ),
  };
}

/** Input of one TuneTrial iteration (the Map's ItemSelector). */
export interface TrialInput {
  readonly trial: TrialSpec;
  readonly snapshot: string;
  readonly seed: number;
  /** The run's explicit trainer options: they win over a trial's params, as they do in training. */
  readonly trainOptions?: Readonly<Record<string, unknown>>;
  /** A composite's trial (TuneComposites): the other trials' results, for its members' best params. */
  readonly memberTrials?: readonly TrialResult[];
}

/**
 * Each algorithm's params as a night trains it: its tuned params, then the run's explicit options
 * (which win), for every algorithm that has either.
 */
export function memberTunings(
  tuned: readonly MemberTuning[],
  trainOptions: Readonly<Record<string, unknown>> | undefined,
): MemberTuning[] {
  const names = new Set([...tuned.map((t) => t.algorithm), ...Object.keys(trainOptions ?? {})]);
  return [...names].map((algorithm) => {
    const explicit =
      trainOptions && Object.hasOwn(trainOptions, algorithm)
        ? (trainOptions[algorithm] as Params)
        : undefined;
    return {
      algorithm,
      params: { ...tuned.find((t) => t.algorithm === algorithm)?.params, ...explicit },
    };
  });
}

// a warm Lambda container runs several trials of one night: split once per snapshot
let validationCache: { key: string; validation: Split } | undefined;

/**
 * The validation split of a snapshot: carved from the nightly evaluation's training part (Personalize
 * protocol, the run's seed), so the Evaluate state's hold-out never informs tuning.
 */
async function validationOf(deps: PipelineDeps, snapshot: string, seed: number): Promise<Split> {
  const key = `${snapshot}#${seed}`;
  if (validationCache?.key === key) return validationCache.validation;
  const dataset: Dataset = await loadSnapshot(deps.artifacts, snapshot, {
    maxBadRowShare: deps.config.PIPELINE_MAX_BAD_ROW_SHARE,
  });
  const evaluationTrain = evaluationSplitOf(dataset, seed).train;
  const validation = carveValidation(evaluationTrain, {
    protocol: deps.config.TUNING_PROTOCOL,
    seed: seed + 1,
    maxUsers: deps.config.TUNING_VALIDATION_USERS,
  });
  validationCache = { key, validation };
  return validation;
}

/** TuneTrial: trains one trial's params on the validation-train part and scores the validation part. */
export async function tuneTrial(deps: PipelineDeps, input: TrialInput): Promise<TrialResult> {
  const validation = await validationOf(deps, input.snapshot, input.seed);
  const algorithm = input.trial.algorithm;
  const explicit =
    input.trainOptions && Object.hasOwn(input.trainOptions, algorithm)
      ? input.trainOptions[algorithm]
      : undefined;
  const members = memberTunings(selectBest(input.memberTrials ?? []).best, input.trainOptions);
  let model: Recommender | undefined;
  let trained: { ds: Dataset; parsed: unknown } | undefined;
  const result = await runTrial(
    validation,
    input.trial,
    (ds, params, seed) => {
      const options = optionsWithMembers(
        algorithm,
        { ...params, ...(explicit as Params) },
        members,
        deps.config.TUNING_PROTOCOL,
      );
      // a trial scores the per-user lists, which an entry's own search does not touch: skip it
      const entry = getAlgorithm(algorithm);
      const search = entry.ownSearch;
      const parsed = parseOptions(entry.options, search ? search.withoutSearch(options) : options, algorithm);
      // kept for the blend's trial, which trains its members on this split with their best params
      model = trainOnce(algorithm, ds, parsed, seed, () => entry.train(ds, parsed, seed));
      trained = { ds, parsed };
      return model;
    },
    { metric: deps.config.TUNING_METRIC, k: 10, seed: input.seed },
  );
  if (trained && result.score !== undefined)
    keepBest(algorithm, trained.ds, trained.parsed, input.seed, result.score);
  // a blend records the weights and fusion it chose, so the night trains exactly that blend
  const chosen = model ? chosenParamsOf(model) : undefined;
  return chosen ? { ...result, params: chosen } : result;
}

/** Input of SelectChampion: the run and every trial's result (the Map's output). */
export interface SelectInput {
  readonly run: { readonly version: string; readonly interactions: number };
  readonly reason: string;
  readonly trials: readonly TrialResult[];
  /** TuneComposites' results (the blend's trials). */
  readonly compositeTrials?: readonly TrialResult[];
}

/** SelectChampion: best params per algorithm and the champion, stored for the nights that do not tune. */
export async function selectChampion(deps: PipelineDeps, input: SelectInput): Promise<RunTuning> {
  const trials = [...input.trials, ...(input.compositeTrials ?? [])];
  const selection = selectBest(trials);
  const metric = deps.config.TUNING_METRIC;
  const record: TunedParamsRecord = {
    tunedAt: new Date().toISOString(),
    version: input.run.version,
    interactions: input.run.interactions,
    reason: input.reason,
    metric,
    protocol: deps.config.TUNING_PROTOCOL,
    best: selection.best,
    ...(selection.champion ? { champion: selection.champion } : {}),
    summary: describeChampion(selection, metric, 10),
    trials,
    lambdaMs: trials.reduce((s, t) => s + t.ms, 0),
  };
  await deps.state.putRecord(TUNED_PARAMS_KEY, record);
  return runTuning(record, 'tuned', input.reason);
}

/** The tuned params of `algorithm` in a run ({} when none). */
export function tunedParamsOf(tuned: RunTuning | undefined, algorithm: string): Params {
  return tuned?.params.find((p) => p.algorithm === algorithm)?.params ?? {};
}
