import { indexInSorted } from '../data/csr.js';
import { Z95 } from '../measurement/statistics.js';

/**
 * Top-K ranking metrics with binary relevance, as pure functions over typed arrays.
 *
 * Definitions (per user, `rec` = the first K recommended item indices, `rel` = the held-out targets):
 * - precision@K = |rec ∩ rel| / K (K, not |rec|: a short list is penalised, as in Amazon Personalize).
 * - recall@K    = |rec ∩ rel| / |rel| (the standard definition).
 * - NDCG@K      = DCG / IDCG with gain 1/log2(rank+1), IDCG over min(K, |rel|) hits.
 * - MAP@K       = (Σ over hit ranks r of precision@r) / min(K, |rel|).
 * - MRR@K       = 1 / rank of the first hit within the top K (0 when none).
 * Every per-user value is averaged over users with at least one target. Coverage is the number of
 * distinct items recommended (top K, over all evaluated users) divided by the catalogue size.
 * Each average carries a 95 % confidence interval with users as the sampling unit (see meanInterval).
 */

/** The per-user averages that carry a confidence interval (coverage is not a per-user average). */
export const INTERVAL_METRICS = ['precision', 'recall', 'ndcg', 'map', 'mrr'] as const;
export type IntervalMetric = (typeof INTERVAL_METRICS)[number];
/** A 95 % confidence interval [low, high] of a per-user average. */
export type MetricInterval = readonly [number, number];

/** Averaged metrics of one evaluation run. */
export interface RankingMetrics {
  readonly k: number;
  readonly precision: number;
  readonly recall: number;
  readonly ndcg: number;
  readonly map: number;
  readonly mrr: number;
  readonly coverage: number;
  /** Users with at least one target (the denominator of every average). */
  readonly users: number;
  /** 95 % confidence interval of each per-user average (users are the sampling unit). */
  readonly ci95: Readonly<Record<IntervalMetric, MetricInterval>>;
}

/** Per-user values (before averaging). */
export interface UserMetrics {
  readonly hits: number;
  readonly precision: number;
  readonly recall: number;
  readonly ndcg: number;
  readonly averagePrecision: number;
  readonly reciprocalRank: number;
}

/**
 * How these definitions relate to Amazon Personalize's solution metrics (kept with results so a reader
 * comparing numbers knows what differs).
 */
export const METRIC_NOTES: readonly string[] = [
  'precision@K = hits / K (same as Personalize precision_at_K).',
  'recall@K = hits / |relevant| (standard). Personalize reports no recall; some toolkits report "calibrated" recall = hits / min(K, |relevant|), which is higher for users with more than K targets.',
  'NDCG@K: binary relevance, log2 discount, ideal DCG over min(K, |relevant|) hits (as Personalize normalized_discounted_cumulative_gain_at_K).',
  'MAP@K: sum of precision at each hit rank / min(K, |relevant|).',
  'MRR: reciprocal rank of the first hit within the top K (Personalize reports mean_reciprocal_rank_at_25, i.e. K = 25).',
  'coverage: distinct recommended items / catalogue size (Personalize counts the catalogue as the items of the interactions and items datasets).',
  'ci95: 95% confidence interval of each per-user average, users as the sampling unit: mean ± 1.96 · sd / √users (normal approximation), clipped to [0, 1]; [0, 1] with fewer than 2 users.',
];

/**
 * 95 % confidence interval of a mean of per-user values in [0, 1] from their count, sum and sum of
 * squares: mean ± z·s/√n (normal approximation: the evaluations score hundreds of users or more, where the
 * mean's sampling distribution is close to normal), clipped to [0, 1]. Fewer than 2 users say nothing
 * about the spread, so the interval is all of [0, 1].
 */
export function meanInterval(n: number, sum: number, sumSq: number, z = Z95): MetricInterval {
  if (n < 2) return [0, 1];
  const mean = sum / n;
  const variance = Math.max(0, (sumSq - n * mean * mean) / (n - 1));
  const half = z * Math.sqrt(variance / n);
  return [Math.max(0, mean - half), Math.min(1, mean + half)];
}

/** True when `x` is in the ascending-sorted `sorted` (binary search). */
export function containsSorted(sorted: Int32Array, x: number): boolean {
  return indexInSorted(sorted, 0, sorted.length, x) >= 0;
}

/** 1/log2(rank+1) for ranks 1..k, shared across users. */
function discounts(k: number): Float64Array {
  const d = new Float64Array(k);
  for (let r = 0; r < k; r++) d[r] = 1 / Math.log2(r + 2);
  return d;
}

/**
 * Computes every per-user metric in one pass. `recommended` is best first (only its first `k` entries
 * count); `relevant` must be sorted ascending and distinct (as produced by splitDataset).
 */
export function userMetrics(
  recommended: Int32Array,
  relevant: Int32Array,
  k: number,
  discount: Float64Array = discounts(k),
): UserMetrics {
  const n = Math.min(k, recommended.length);
  let hits = 0;
  let dcg = 0;
  let apSum = 0;
  let rr = 0;
  for (let r = 0; r < n; r++) {
    if (!containsSorted(relevant, recommended[r])) continue;
    hits++;
    dcg += discount[r];
    apSum += hits / (r + 1);
    if (rr === 0) rr = 1 / (r + 1);
  }
  const ideal = Math.min(k, relevant.length);
  let idcg = 0;
  for (let r = 0; r < ideal; r++) idcg += discount[r];
  return {
    hits,
    precision: k > 0 ? hits / k : 0,
    recall: relevant.length > 0 ? hits / relevant.length : 0,
    ndcg: idcg > 0 ? dcg / idcg : 0,
    averagePrecision: ideal > 0 ? apSum / ideal : 0,
    reciprocalRank: rr,
  };
}

/** precision@K for one user. */
export function precisionAtK(recommended: Int32Array, relevant: Int32Array, k: number): number {
  return userMetrics(recommended, relevant, k).precision;
}

/** recall@K for one user (hits / |relevant|). */
export function recallAtK(recommended: Int32Array, relevant: Int32Array, k: number): number {
  return userMetrics(recommended, relevant, k).recall;
}

/** NDCG@K for one user (binary relevance). */
export function ndcgAtK(recommended: Int32Array, relevant: Int32Array, k: number): number {
  return userMetrics(recommended, relevant, k).ndcg;
}

/** Average precision@K for one user (normalised by min(K, |relevant|)). */
export function averagePrecisionAtK(recommended: Int32Array, relevant: Int32Array, k: number): number {
  return userMetrics(recommended, relevant, k).averagePrecision;
}

/** Reciprocal rank of the first hit within the top K. */
export function reciprocalRankAtK(recommended: Int32Array, relevant: Int32Array, k: number): number {
  return userMetrics(recommended, relevant, k).reciprocalRank;
}

/**
 * Accumulates per-user metrics and the set of recommended items; `result()` averages over the users added
 * with at least one relevant item (users with none are ignored, as they cannot be scored).
 */
export class MetricAccumulator {
  private readonly discount: Float64Array;
  private readonly seen: Uint8Array;
  private distinct = 0;
  private users = 0;
  private precision = 0;
  private recall = 0;
  private ndcg = 0;
  private map = 0;
  private mrr = 0;
  /** Sums of squared per-user values, in INTERVAL_METRICS order. */
  private readonly squares = new Float64Array(INTERVAL_METRICS.length);

  constructor(
    readonly k: number,
    readonly catalogueSize: number,
  ) {
    this.discount = discounts(k);
    this.seen = new Uint8Array(catalogueSize);
  }

  /** Adds one user's recommendation list (best first) and sorted targets. */
  add(recommended: Int32Array, relevant: Int32Array): void {
    if (relevant.length === 0) return;
    const n = Math.min(this.k, recommended.length);
    for (let r = 0; r < n; r++) {
      const i = recommended[r];
      if (i >= 0 && i < this.catalogueSize && this.seen[i] === 0) {
        this.seen[i] = 1;
        this.distinct++;
      }
    }
    const m = userMetrics(recommended, relevant, this.k, this.discount);
    this.users++;
    this.precision += m.precision;
    this.recall += m.recall;
    this.ndcg += m.ndcg;
    this.map += m.averagePrecision;
    this.mrr += m.reciprocalRank;
    const sq = this.squares;
    sq[0] += m.precision * m.precision;
    sq[1] += m.recall * m.recall;
    sq[2] += m.ndcg * m.ndcg;
    sq[3] += m.averagePrecision * m.averagePrecision;
    sq[4] += m.reciprocalRank * m.reciprocalRank;
  }

  result(): RankingMetrics {
    const d = this.users > 0 ? this.users : 1;
    return {
      k: this.k,
      precision: this.precision / d,
      recall: this.recall / d,
      ndcg: this.ndcg / d,
      map: this.map / d,
      mrr: this.mrr / d,
      coverage: this.catalogueSize > 0 ? this.distinct / this.catalogueSize : 0,
      users: this.users,
      ci95: {
        precision: meanInterval(this.users, this.precision, this.squares[0]),
        recall: meanInterval(this.users, this.recall, this.squares[1]),
        ndcg: meanInterval(this.users, this.ndcg, this.squares[2]),
        map: meanInterval(this.users, this.map, this.squares[3]),
        mrr: meanInterval(this.users, this.mrr, this.squares[4]),
      },
    };
  }
}
