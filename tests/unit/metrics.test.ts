import { describe, expect, it } from 'vitest';
import {
  averagePrecisionAtK,
  MetricAccumulator,
  ndcgAtK,
  precisionAtK,
  recallAtK,
  meanInterval,
  reciprocalRankAtK,
  userMetrics,
} from '../../shared/domain/evaluation/metrics.js';
import { evaluationChart } from '../../shared/domain/charts/evaluation-charts.js';
import type { EvaluationResult } from '../../shared/domain/evaluation/evaluate.js';
import { Rng } from '../../shared/domain/random.js';

const ints = (...xs: number[]) => Int32Array.from(xs);

// User A: top-5 = [3, 7, 1, 9, 4], targets {1, 3, 8}. Hits at rank 1 (item 3) and rank 3 (item 1).
//   precision@5 = 2/5 = 0.4; recall@5 = 2/3
//   DCG  = 1/log2(2) + 1/log2(4) = 1 + 0.5 = 1.5
//   IDCG = 1/log2(2) + 1/log2(3) + 1/log2(4) = 1 + 0.6309297536 + 0.5 = 2.1309297536 (min(5, 3) = 3 hits)
//   NDCG = 1.5 / 2.1309297536 = 0.7039180890
//   AP   = (1/1 + 2/3) / min(5, 3) = 1.6666667 / 3 = 0.5555556
//   RR   = 1/1 = 1
const recA = ints(3, 7, 1, 9, 4);
const relA = ints(1, 3, 8);
// User B: top-5 = [2, 5, 6, 8, 0], targets {0}. One hit at rank 5.
//   precision = 1/5 = 0.2; recall = 1/1 = 1; DCG = 1/log2(6) = 0.3868528072; IDCG = 1 → NDCG = 0.3868528072
//   AP = (1/5) / 1 = 0.2; RR = 1/5 = 0.2
const recB = ints(2, 5, 6, 8, 0);
const relB = ints(0);

describe('per-user metrics', () => {
  it('computes precision@K as hits over K', () => {
    expect(precisionAtK(recA, relA, 5)).toBeCloseTo(0.4, 10);
  });

  it('computes recall@K as hits over the number of relevant items', () => {
    expect(recallAtK(recA, relA, 5)).toBeCloseTo(2 / 3, 10);
  });

  it('computes NDCG@K with a log2 discount and the ideal DCG over min(K, |relevant|)', () => {
    expect(ndcgAtK(recA, relA, 5)).toBeCloseTo(0.703918089, 8);
    expect(ndcgAtK(recB, relB, 5)).toBeCloseTo(0.3868528072, 8);
  });

  it('computes average precision normalised by min(K, |relevant|)', () => {
    expect(averagePrecisionAtK(recA, relA, 5)).toBeCloseTo(5 / 9, 10);
    // K = 2, top-2 = [1, 2] both relevant among 4 targets: (1/1 + 2/2) / min(2, 4) = 1, while recall = 2/4
    expect(averagePrecisionAtK(ints(1, 2), ints(1, 2, 3, 4), 2)).toBeCloseTo(1, 10);
    expect(recallAtK(ints(1, 2), ints(1, 2, 3, 4), 2)).toBeCloseTo(0.5, 10);
  });

  it('computes the reciprocal rank of the first hit', () => {
    expect(reciprocalRankAtK(recA, relA, 5)).toBe(1);
    expect(reciprocalRankAtK(recB, relB, 5)).toBeCloseTo(0.2, 10);
  });

  it('ignores recommendations beyond K', () => {
    // item 0 is the only target and sits at rank 5: with K = 4 there is no hit
    const m = userMetrics(recB, relB, 4);
    expect(m.hits).toBe(0);
    expect(m.reciprocalRank).toBe(0);
    expect(m.ndcg).toBe(0);
  });

  it('penalises a list shorter than K in precision (divides by K)', () => {
    // one recommendation, a hit: precision@5 = 1/5
    expect(precisionAtK(ints(3), relA, 5)).toBeCloseTo(0.2, 10);
  });
});

describe('MetricAccumulator', () => {
  it('averages over users with targets and measures catalogue coverage', () => {
    const acc = new MetricAccumulator(5, 20);
    acc.add(recA, relA);
    acc.add(recB, relB);
    acc.add(ints(10, 11), ints()); // no targets: not scored and not counted in coverage
    const r = acc.result();
    expect(r.users).toBe(2);
    expect(r.precision).toBeCloseTo((0.4 + 0.2) / 2, 10); // 0.3
    expect(r.recall).toBeCloseTo((2 / 3 + 1) / 2, 10); // 0.8333
    expect(r.ndcg).toBeCloseTo((0.703918089 + 0.3868528072) / 2, 8); // 0.5453854
    expect(r.map).toBeCloseTo((5 / 9 + 0.2) / 2, 10); // 0.3777778
    expect(r.mrr).toBeCloseTo((1 + 0.2) / 2, 10); // 0.6
    // distinct recommended items {0..9} = 10 of a 20-item catalogue
    expect(r.coverage).toBeCloseTo(0.5, 10);
  });

  it('gives each average a 95% interval over users: mean ± 1.96·sd/√n', () => {
    const acc = new MetricAccumulator(5, 20);
    acc.add(recA, relA);
    acc.add(recB, relB);
    const { precision, ci95 } = acc.result();
    // precisions 0.4 and 0.2: sd = √0.02, half-width = 1.95996 · √0.02 / √2 = 0.195996
    expect(ci95.precision[0]).toBeCloseTo(precision - 0.195996, 5);
    expect(ci95.precision[1]).toBeCloseTo(precision + 0.195996, 5);
    // recalls 2/3 and 1: the upper bound is clipped to 1
    expect(ci95.recall[1]).toBe(1);
  });

  it("draws the evaluation chart's whiskers from ci95, clipped as stored", () => {
    const acc = new MetricAccumulator(5, 20);
    acc.add(recA, relA);
    acc.add(recB, relB);
    const metrics = acc.result();
    const result: EvaluationResult = {
      protocol: 'personalize',
      k: 5,
      seed: 1,
      fill: true,
      dataset: { users: 2, items: 20, interactions: 10 },
      split: { trainInteractions: 8, testUsers: 2, testTargets: 5 },
      results: [{ algorithm: 'cf', metrics, trainMs: 0, scoreMs: 0, users: 2, filledUsers: 0 }],
      notes: [],
    };
    const series = evaluationChart(result).option.series as { name: string; data: unknown[] }[];
    const whisker = (name: string) => series.find((x) => x.name === `${name} 95% interval`)?.data[0];
    expect(whisker('recall@5')).toEqual([0, metrics.ci95.recall[0], 1]);
    expect(whisker('precision@5')).toEqual([0, ...metrics.ci95.precision]);
    // coverage is one number for the whole list set: no interval
    expect(whisker('coverage')).toEqual([0, metrics.coverage, metrics.coverage]);
  });
});

describe('confidence intervals of per-user averages', () => {
  it('says nothing about the spread with fewer than 2 users', () => {
    expect(meanInterval(1, 0.3, 0.09)).toEqual([0, 1]);
  });

  it('covers the population mean in about 95% of samples of users', () => {
    // a skewed population like precision@10 values: mostly 0-3 hits in 10
    const rng = new Rng(5);
    const population = Float64Array.from(
      { length: 20_000 },
      () => Math.min(10, Math.floor(-Math.log(1 - rng.next()) * 1.5)) / 10,
    );
    const mean = population.reduce((a, b) => a + b, 0) / population.length;
    let covered = 0;
    const samples = 1000;
    for (let s = 0; s < samples; s++) {
      let sum = 0;
      let sumSq = 0;
      for (let j = 0; j < 200; j++) {
        const v = population[Math.floor(rng.next() * population.length)];
        sum += v;
        sumSq += v * v;
      }
      const [lo, hi] = meanInterval(200, sum, sumSq);
      if (lo <= mean && mean <= hi) covered++;
    }
    expect(covered / samples).toBeGreaterThan(0.93);
    expect(covered / samples).toBeLessThan(0.97);
  });
});
