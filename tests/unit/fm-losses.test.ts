import { describe, expect, it } from 'vitest';
import {
  bprWeight,
  MAX_RANK_WEIGHT,
  warpWeight,
  wmrbWeight,
} from '../../shared/domain/algorithms/fm/losses.js';

describe('FM loss weights', () => {
  it('weights a WARP violator found on the first draw by log(N − 1) and a late one by less', () => {
    expect(warpWeight(1001, 1)).toBeCloseTo(Math.log(1000), 12);
    expect(warpWeight(1001, 100)).toBeCloseTo(Math.log(10), 12);
    // found after more draws than items: rank 0 → weight 0 (no update)
    expect(warpWeight(10, 50)).toBe(0);
  });

  it('caps the rank weight so one hard pair cannot blow up a step', () => {
    expect(warpWeight(1e9, 1)).toBe(MAX_RANK_WEIGHT);
  });

  it('estimates the WMRB rank from the share of the pool that violates the margin', () => {
    // 64 of 256 sampled negatives violate: a quarter of the 4000 negatives
    expect(wmrbWeight(4000, 64, 256)).toBeCloseTo(Math.log(1000), 12);
    expect(wmrbWeight(4000, 0, 256)).toBe(0);
  });

  it('gives BPR the logistic gradient σ(negative − positive)', () => {
    expect(bprWeight(0, 0)).toBe(0.5);
    expect(bprWeight(5, 0)).toBeCloseTo(1 / (1 + Math.exp(5)), 12);
    expect(bprWeight(0, 5)).toBeGreaterThan(0.99);
  });
});
