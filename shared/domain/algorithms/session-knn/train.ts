import type { Dataset } from '../../data/dataset.js';
import { availableParallelism } from 'node:os';
import { EvaluationPool } from './evaluation-pool.js';
import { learnNewRank, learnRepeatTables } from './repeat-model.js';
import { trainSequentialRules } from './sequential-rules.js';
import { buildSessionIndex, type SessionIndexLimits } from './session-index.js';
import {
  DEFAULT_SESSION_KNN_PARAMS,
  type SessionKnnParams,
  SessionKnnModel,
  userState,
} from './session-knn.js';
import { type SessionLog, sessionCount, sessionLogOf, splitLatest } from './session-log.js';

/** Training settings that are not searched (structure and bounds of the index). */
export interface SessionKnnSettings {
  readonly sessionGapMinutes: number;
  readonly maxSessionsPerItem: number;
  readonly maxSessionLength: number;
  readonly srSteps: number;
  readonly srPrune: number;
  /** Parameter evaluations of the tuner on the validation split (0 = train with `params` as given). */
  readonly tuneBudget: number;
  /** Share of the latest training sessions carved off as the validation split. */
  readonly validationShare: number;
  /** At most this many validation targets are scored per evaluation (evenly spread). */
  readonly validationTargets: number;
  /** recommend(user) scores the user's last this-many training events. */
  readonly recentEvents: number;
  /**
   * The serving bound: index entries one request's neighbour search may read at the p99 of the validation
   * targets (SessionKnnModel.lastWork; 0 = unbounded). Past it, the largest sampleSize / k within it that
   * scores best on the validation split is served instead. About 1 ms of scoring on one core
   * (bench/session-serving.ts prints work and time side by side).
   */
  readonly servingWorkBudget: number;
  /**
   * Parameters a previous search chose: the start instead of the defaults (the `params` the caller
   * fixes still win). Unlike fixed ones they stay free, so the serving bound may still shrink k and
   * sampleSize; with tuneBudget 0 nothing else is searched.
   */
  readonly start?: Partial<SessionKnnParams>;
  /**
   * Threads the validation evaluations use (this one included; the choice is the same on any number).
   * Default: up to 4 of the machine's cores for logs of EVALUATION_WORKER_MIN_EVENTS or more, else 1.
   */
  readonly threads?: number;
}

/** Below this many events the search evaluates in the calling thread: a worker's start costs more. */
export const EVALUATION_WORKER_MIN_EVENTS = 20_000;

export const DEFAULT_SESSION_KNN_SETTINGS: SessionKnnSettings = {
  sessionGapMinutes: 30,
  maxSessionsPerItem: 1000,
  maxSessionLength: 50,
  srSteps: 10,
  srPrune: 50,
  tuneBudget: 24,
  validationShare: 0.2,
  validationTargets: 3000,
  recentEvents: 10,
  servingWorkBudget: 20_000,
};

/** Length of the learned P(rank | new) table: also the longest list whose tail is calibrated. */
const NEW_RANK_LENGTH = 100;

/** Values the tuner tries per parameter, around the current best (coordinate search). */
export const SESSION_KNN_GRID: { readonly [K in keyof SessionKnnParams]: readonly number[] } = {
  k: [100, 500, 1000, 2000],
  sampleSize: [500, 1000, 2500, 5000],
  spwLambda: [1, 2, 4, 8],
  snhDays: [0, 5, 10],
  inhLambda: [1, 2, 4, 8],
  ipwLambda: [0, 0.5, 1, 2, 4],
  beforeWeight: [0.5, 1],
  idfWeight: [0, 1, 2, 5],
  srWeight: [0, 0.15, 0.3, 0.5],
  srDecay: [0, 0.3, 0.6],
};

const SEARCH_ORDER: readonly (keyof SessionKnnParams)[] = [
  'srWeight',
  'spwLambda',
  'inhLambda',
  'ipwLambda',
  'idfWeight',
  'k',
  'beforeWeight',
  'srDecay',
  'sampleSize',
  'snhDays',
];

export interface TuningReport {
  readonly evaluations: number;
  readonly validationSessions: number;
  readonly validationTargets: number;
  /** HR@20 + MRR@20 over the validation split's new targets: the start (defaults or `start`) vs the chosen. */
  readonly defaultObjective: number;
  readonly bestObjective: number;
  readonly params: SessionKnnParams;
  /** p99 of the chosen parameters' work per request on the validation targets, and the budget. */
  readonly servingWork: { readonly p99: number; readonly budget: number };
}

/** New-target positions (session, position) of a log, evenly thinned to at most `max`. */
function newTargets(log: SessionLog, max: number): { sess: Int32Array; pos: Int32Array } {
  const s: number[] = [];
  const p: number[] = [];
  for (let x = 0; x < sessionCount(log); x++) {
    const from = log.ptr[x];
    for (let t = from + 1; t < log.ptr[x + 1]; t++) {
      let repeat = false;
      for (let r = from; r < t; r++)
        if (log.items[r] === log.items[t]) {
          repeat = true;
          break;
        }
      if (!repeat) {
        s.push(x);
        p.push(t);
      }
    }
  }
  if (s.length <= max) return { sess: Int32Array.from(s), pos: Int32Array.from(p) };
  const sess = new Int32Array(max);
  const pos = new Int32Array(max);
  for (let j = 0; j < max; j++) {
    const at = Math.floor((j * s.length) / max);
    sess[j] = s[at];
    pos[j] = p[at];
  }
  return { sess, pos };
}

/** Grid values ≤ `max`, largest first, with `max` itself first when it is not on the grid. */
function descendingUpTo(grid: readonly number[], max: number): number[] {
  const values = grid.filter((v) => v <= max);
  if (!values.includes(max)) values.push(max);
  return values.sort((a, b) => b - a);
}

/** The q-quantile of xs (nearest rank). */
function quantile(xs: Float64Array, q: number): number {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function objective(ranks: Int32Array, k = 20): number {
  let hr = 0;
  let mrr = 0;
  for (const r of ranks)
    if (r >= 0 && r < k) {
      hr++;
      mrr += 1 / (r + 1);
    }
  return ranks.length > 0 ? (hr + mrr) / ranks.length : 0;
}

/**
 * Trains session kNN on a session log. With a tuning budget, the latest `validationShare` of the sessions
 * is carved off, the parameters are chosen there by coordinate search (objective: HR@20 + MRR@20 of new
 * targets), and the P(rank | new) calibration is read off the same split; then the index and rules are
 * rebuilt on every session. The repeat tables count over every training session.
 */
export function trainSessionKnnFromLog(
  log: SessionLog,
  itemIds: readonly string[],
  eventTypeNames: readonly string[],
  params: Partial<SessionKnnParams> = {},
  settings: Partial<SessionKnnSettings> = {},
): {
  model: SessionKnnModel;
  tuning?: TuningReport;
  /** The chosen parameters' p99 work per request on the validation targets (when there was a split). */
  servingWork?: { readonly p99: number; readonly budget: number };
} {
  const st = { ...DEFAULT_SESSION_KNN_SETTINGS, ...settings };
  const limits: SessionIndexLimits = st;
  const nItems = itemIds.length;
  let best: SessionKnnParams = { ...DEFAULT_SESSION_KNN_PARAMS, ...st.start, ...params };
  let newRank = learnNewRank([], NEW_RANK_LENGTH);
  let tuning: TuningReport | undefined;
  let servingWork: { p99: number; budget: number } | undefined;
  let pool: EvaluationPool | undefined;
  try {
    if (sessionCount(log) >= 10) {
      const { train, test } = splitLatest(log, st.validationShare);
      const index = buildSessionIndex(train, nItems, limits);
      const rules = trainSequentialRules(train, nItems, st.srSteps, st.srPrune);
      const repeat = learnRepeatTables(train, eventTypeNames.length, newRank);
      const targets = newTargets(test, st.validationTargets);
      const threads =
        st.threads ??
        (log.items.length >= EVALUATION_WORKER_MIN_EVENTS ? Math.min(4, availableParallelism()) : 1);
      const evaluator = EvaluationPool.open(
        { itemIds, eventTypeNames, index, rules, repeat, log: test, targets, n: NEW_RANK_LENGTH },
        threads,
      );
      pool = evaluator;
      let work: Float64Array = new Float64Array(0);
      const evaluate = (p: SessionKnnParams) => {
        const r = evaluator.evaluate(p);
        work = r.work;
        return r.ranks;
      };
      const p99Work = () => (work.length > 0 ? quantile(work, 0.99) : 0);
      let bestRanks = evaluate(best);
      // the best parameters' work, kept so the serving bound below needs no second evaluation of them
      let bestWork = p99Work();
      const defaultObjective = objective(bestRanks);
      let bestObjective = defaultObjective;
      let evaluations = 1;
      const tried = new Set<string>([JSON.stringify(best)]);
      search: for (let pass = 0; pass < 3; pass++) {
        let improved = false;
        for (const key of SEARCH_ORDER) {
          if (Object.hasOwn(params, key)) continue; // a parameter the caller fixed is not searched
          for (const v of SESSION_KNN_GRID[key]) {
            if (evaluations >= st.tuneBudget) break search;
            const p = { ...best, [key]: v };
            const id = JSON.stringify(p);
            if (tried.has(id)) continue;
            tried.add(id);
            const ranks = evaluate(p);
            evaluations++;
            const o = objective(ranks);
            if (o > bestObjective + 1e-9) {
              best = p;
              bestObjective = o;
              bestRanks = ranks;
              bestWork = p99Work();
              improved = true;
            }
          }
        }
        if (!improved) break;
      }
      // the serving bound, on the same validation split: the neighbour search must fit the work budget
      const budget = st.servingWorkBudget;
      if (
        budget > 0 &&
        bestWork > budget &&
        !(Object.hasOwn(params, 'k') && Object.hasOwn(params, 'sampleSize'))
      ) {
        let chosen: { p: SessionKnnParams; o: number; ranks: Int32Array; w: number } | undefined;
        let smallest: { p: SessionKnnParams; o: number; ranks: Int32Array; w: number } | undefined;
        const sizes = Object.hasOwn(params, 'sampleSize')
          ? [best.sampleSize]
          : descendingUpTo(SESSION_KNN_GRID.sampleSize, best.sampleSize);
        for (const sampleSize of sizes) {
          const ks = Object.hasOwn(params, 'k')
            ? [best.k]
            : descendingUpTo(SESSION_KNN_GRID.k, Math.min(best.k, sampleSize));
          // the largest k within the budget at this sample size (work grows with k)
          for (const k of ks) {
            const p = { ...best, sampleSize, k };
            // the best parameters themselves were scored already (a stored choice at the grid's floor is)
            const same = sampleSize === best.sampleSize && k === best.k;
            const ranks = same ? bestRanks : evaluate(p);
            const trial = { p, o: objective(ranks), ranks, w: same ? bestWork : p99Work() };
            smallest = trial;
            if (trial.w <= budget) {
              if (!chosen || trial.o > chosen.o + 1e-9) chosen = trial;
              break;
            }
          }
        }
        const pick = chosen ?? smallest;
        if (pick) {
          best = pick.p;
          bestObjective = pick.o;
          bestRanks = pick.ranks;
          bestWork = pick.w;
        }
      }
      servingWork = { p99: bestWork, budget };
      newRank = learnNewRank(bestRanks, NEW_RANK_LENGTH);
      if (st.tuneBudget > 0)
        tuning = {
          evaluations,
          validationSessions: sessionCount(test),
          validationTargets: targets.pos.length,
          defaultObjective,
          bestObjective,
          params: best,
          servingWork: { p99: bestWork, budget },
        };
    }
  } finally {
    pool?.close();
  }
  const index = buildSessionIndex(log, nItems, limits);
  const rules = trainSequentialRules(log, nItems, st.srSteps, st.srPrune);
  const repeat = learnRepeatTables(log, eventTypeNames.length, newRank);
  return {
    model: new SessionKnnModel(itemIds, eventTypeNames, index, rules, repeat, best),
    tuning,
    servingWork,
  };
}

/** Trains session kNN on a dataset (sessions from SESSION_ID, else per user with the inactivity gap). */
export function trainSessionKnn(
  dataset: Dataset,
  params: Partial<SessionKnnParams> = {},
  settings: Partial<SessionKnnSettings> = {},
): ReturnType<typeof trainSessionKnnFromLog> {
  const st = { ...DEFAULT_SESSION_KNN_SETTINGS, ...settings };
  const log = sessionLogOf(dataset, st.sessionGapMinutes);
  const { model, tuning, servingWork } = trainSessionKnnFromLog(
    log,
    dataset.items.ids,
    dataset.eventTypes.ids,
    params,
    st,
  );
  const { recent, history } = userState(dataset, st.recentEvents);
  return {
    model: new SessionKnnModel(
      model.itemIds,
      model.eventTypeNames,
      model.index,
      model.rules,
      model.repeat,
      model.params,
      recent,
      history,
    ),
    tuning,
    servingWork,
  };
}
