import { describe, expect, it } from 'vitest';
import { decideHpo, type HpoPolicy } from '../../shared/domain/pipeline/hpo-policy.js';
import { decideGate } from '../../shared/domain/pipeline/quality-gate.js';
import { planShards } from '../../shared/domain/pipeline/shard-plan.js';
import { ValidationError } from '../../shared/domain/errors.js';

describe('planShards', () => {
  it('covers every user exactly once in contiguous ranges of at most shardUsers', () => {
    const shards = planShards(10_001, 1000);
    expect(shards).toHaveLength(11);
    expect(shards[0]).toEqual({ index: 0, from: 0, to: 1000 });
    expect(shards[10]).toEqual({ index: 10, from: 10_000, to: 10_001 });
    for (let i = 1; i < shards.length; i++) expect(shards[i].from).toBe(shards[i - 1].to);
  });

  it('plans no shard for no user and rejects a zero shard size', () => {
    expect(planShards(0, 10)).toEqual([]);
    expect(() => planShards(10, 0)).toThrow(ValidationError);
  });
});

describe('decideGate', () => {
  it('passes a first version that has nothing to compare with', () => {
    expect(decideGate([{ algorithm: 'cf', candidate: 0.1 }], 'ndcg', 0.05).passed).toBe(true);
  });

  it('tolerates a drop within the margin and rejects a larger one, naming the algorithm', () => {
    const ok = decideGate(
      [{ algorithm: 'cf', candidate: 0.0951, active: 0.1, activeVersion: 'v1' }],
      'ndcg',
      0.05,
    );
    expect(ok.passed).toBe(true);
    const bad = decideGate(
      [
        { algorithm: 'cf', candidate: 0.2, active: 0.2, activeVersion: 'v1' },
        { algorithm: 'fm', candidate: 0.09, active: 0.1, activeVersion: 'v1' },
      ],
      'ndcg',
      0.05,
    );
    expect(bad.passed).toBe(false);
    expect(bad.reason).toMatch(/^fm: ndcg 0\.0900 < 0\.0950/);
  });

  it('rejects a candidate whose metric is not a number', () => {
    expect(decideGate([{ algorithm: 'cf', candidate: Number.NaN }], 'ndcg', 0.05).passed).toBe(false);
  });
});

describe('decideHpo', () => {
  const policy: HpoPolicy = { everyDays: 30, growthShare: 0.2 };
  const now = new Date('2026-11-28T00:00:00Z');
  const last = { tunedAt: '2026-11-20T00:00:00Z', interactions: 1000, hyperParameters: {} };

  it('is due when asked', () => {
    expect(decideHpo({ manual: true, last, interactions: 1000, now, policy }).due).toBe(true);
  });

  it("is not due on a stage's first run unless the policy asks for it", () => {
    expect(decideHpo({ manual: false, interactions: 1000, now, policy }).due).toBe(false);
    const tuneFirst: HpoPolicy = { ...policy, firstRun: 'hpo' };
    expect(decideHpo({ manual: false, interactions: 1000, now, policy: tuneFirst }).reason).toBe(
      'never tuned',
    );
  });

  it('is due after everyDays and when interactions grew beyond the share', () => {
    const old = { ...last, tunedAt: '2026-10-01T00:00:00Z' };
    expect(decideHpo({ manual: false, last: old, interactions: 1000, now, policy }).due).toBe(true);
    expect(decideHpo({ manual: false, last, interactions: 1201, now, policy }).reason).toMatch(/grew 20\.1%/);
  });

  it('is not due for a recent tuning on similar data', () => {
    expect(decideHpo({ manual: false, last, interactions: 1100, now, policy }).due).toBe(false);
  });
});
