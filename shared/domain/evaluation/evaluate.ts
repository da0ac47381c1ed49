import type { Recommender } from '../algorithms/recommender.js';
import { parseOptions } from '../algorithms/option-schemas.js';
import { getAlgorithm } from '../algorithms/registry.js';
import { buildUserItemCsr } from '../data/csr.js';
import type { Dataset } from '../data/dataset.js';
import { ValidationError } from '../errors.js';
import { containsSorted, METRIC_NOTES, MetricAccumulator, type RankingMetrics } from './metrics.js';
import { fillFromPopular, rankByPopularity } from './popular-fill.js';
import { type Split, type SplitProtocol, splitDataset, targetsOf } from './splits.js';

export interface EvaluationProgress {
  readonly algorithm: string;
  readonly phase: 'train' | 'score' | 'done';
  /** Users scored so far (score phase); 0 otherwise. */
  readonly done: number;
  /** Users to score. */
  readonly total: number;
}

/** An ad-hoc algorithm to evaluate under `name` (trained on the split's training part with the seed). */
export interface NamedTrainer {
  readonly name: string;
  readonly train: (dataset: Dataset, seed: number) => Recommender;
}

export interface EvaluateOptions {
  /**
   * Registry names (see shared/domain/algorithms/registry.ts), or named trainers for variants that are not
   * registered (e.g. a benchmark's tuned options).
   */
  readonly algorithms: readonly (string | NamedTrainer)[];
  readonly protocol?: SplitProtocol;
  /** List length K (default 10). */
  readonly k?: number;
  /** Seed of the split and of stochastic trainers (default 42). */
  readonly seed?: number;
  /**
   * Top up lists shorter than K from training popularity, as serving does (default true). Matters for users
   * without training history (personalize protocol) or algorithms that return few items.
   */
  readonly fill?: boolean;
  /** Trainer options per registry name, e.g. fm → { epochs: 5 } (checked by the entry's strict schema). */
  readonly trainOptions?: ReadonlyMap<string, unknown>;
  /** Use this split instead of computing one (lets callers evaluate several runs on the same split). */
  readonly split?: Split;
  readonly onProgress?: (progress: EvaluationProgress) => void;
}

export interface AlgorithmResult {
  readonly algorithm: string;
  readonly metrics: RankingMetrics;
  readonly trainMs: number;
  readonly scoreMs: number;
  /** Users scored (with at least one target). */
  readonly users: number;
  /** Users whose list was topped up from popularity. */
  readonly filledUsers: number;
}

export interface EvaluationResult {
  readonly protocol: SplitProtocol;
  readonly k: number;
  readonly seed: number;
  /** Whether short lists were topped up from training popularity. */
  readonly fill: boolean;
  readonly dataset: { readonly users: number; readonly items: number; readonly interactions: number };
  readonly split: {
    readonly trainInteractions: number;
    readonly testUsers: number;
    readonly testTargets: number;
  };
  readonly results: AlgorithmResult[];
  readonly notes: readonly string[];
}

/** Users scored between progress reports (and event-loop yields). */
const PROGRESS_EVERY = 200;

/**
 * Offline evaluation: splits `dataset` (seeded), trains each algorithm on the training part and scores its
 * top-K for every user with held-out targets. Items the user has in training are removed from the lists
 * (recommenders exclude them; this is re-checked here so a leaky recommender cannot score on them).
 * Async only to yield to the event loop between batches of users, so progress can be rendered.
 */
export async function evaluateAlgorithms(
  dataset: Dataset,
  options: EvaluateOptions,
): Promise<EvaluationResult> {
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new ValidationError(`k must be a positive integer, got ${k}`, 'k');
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed)) throw new ValidationError(`seed must be an integer, got ${seed}`, 'seed');
  if (options.algorithms.length === 0) throw new ValidationError('no algorithm to evaluate', 'algorithms');
  const trainers: NamedTrainer[] = options.algorithms.map((a) => {
    if (typeof a !== 'string') return a;
    const entry = getAlgorithm(a);
    // parsed before the first (slow) training, so a bad key of the last algorithm fails at once
    const parsed = parseOptions(entry.options, options.trainOptions?.get(a), a);
    return { name: a, train: (d: Dataset, s: number) => entry.train(d, parsed, s) };
  });
  const protocol = options.split?.protocol ?? options.protocol ?? 'personalize';
  const split = options.split ?? splitDataset(dataset, protocol, { seed });
  const { train, test } = split;
  const seen = buildUserItemCsr(train);
  const popular = rankByPopularity(train, seen);
  const fill = options.fill ?? true;
  const nUsers = dataset.users.size;
  const testUsers: number[] = [];
  for (let u = 0; u < nUsers; u++) if (test.offsets[u + 1] > test.offsets[u]) testUsers.push(u);
  const total = testUsers.length;

  const results: AlgorithmResult[] = [];
  for (const { name, train: trainer } of trainers) {
    options.onProgress?.({ algorithm: name, phase: 'train', done: 0, total });
    await yieldToEventLoop();
    const t0 = performance.now();
    const model = trainer(train, seed);
    const trainMs = performance.now() - t0;

    const acc = new MetricAccumulator(k, dataset.items.size);
    let filledUsers = 0;
    let scoreMs = 0;
    for (let j = 0; j < total; j++) {
      const u = testUsers[j];
      const t1 = performance.now();
      const userSeen = seen.indices.subarray(seen.indptr[u], seen.indptr[u + 1]);
      let list = withoutSeen(model.recommend(u, k), userSeen);
      if (fill && list.items.length < k) {
        const filled = fillFromPopular(list, k, popular, userSeen, () => 0);
        if (filled.filled > 0) filledUsers++;
        list = filled;
      }
      scoreMs += performance.now() - t1;
      acc.add(list.items, targetsOf(test, u));
      if ((j + 1) % PROGRESS_EVERY === 0) {
        options.onProgress?.({ algorithm: name, phase: 'score', done: j + 1, total });
        await yieldToEventLoop();
      }
    }
    const metrics = acc.result();
    options.onProgress?.({ algorithm: name, phase: 'done', done: total, total });
    results.push({
      algorithm: name,
      metrics,
      trainMs,
      scoreMs,
      users: metrics.users,
      filledUsers,
    });
  }
  return {
    protocol,
    k,
    seed,
    fill,
    dataset: { users: nUsers, items: dataset.items.size, interactions: dataset.interactions.length },
    split: {
      trainInteractions: train.interactions.length,
      testUsers: split.testUsers,
      testTargets: test.items.length,
    },
    results,
    notes: METRIC_NOTES,
  };
}

/** Drops training items a recommender returned anyway (keeps order). */
function withoutSeen(
  list: { items: Int32Array; scores: Float32Array },
  seen: Int32Array,
): { items: Int32Array; scores: Float32Array } {
  let bad = 0;
  for (let j = 0; j < list.items.length; j++) if (containsSorted(seen, list.items[j])) bad++;
  if (bad === 0) return list;
  const items = new Int32Array(list.items.length - bad);
  const scores = new Float32Array(items.length);
  let m = 0;
  for (let j = 0; j < list.items.length; j++) {
    if (containsSorted(seen, list.items[j])) continue;
    items[m] = list.items[j];
    scores[m++] = list.scores[j];
  }
  return { items, scores };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
