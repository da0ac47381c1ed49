import { describe, expect, it } from 'vitest';
import type { BlendModel } from '../../shared/domain/algorithms/blend.js';
import { generateShop } from '../../shared/domain/data/generator.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { splitDataset } from '../../shared/domain/evaluation/splits.js';
import { describeChampion, searchChampion } from '../../shared/domain/tuning/champion.js';
import { decideTuning } from '../../shared/domain/tuning/policy.js';
import { proposeTrials, type SearchSpace } from '../../shared/domain/tuning/search.js';
import { searchSpaceOf, trainWithParams } from '../../shared/domain/tuning/search-spaces.js';
import { planTrials, runTrial, selectBest, type TrialResult } from '../../shared/domain/tuning/trials.js';
import { carveValidation } from '../../shared/domain/tuning/validation.js';

const { dataset } = generateShop({ users: 300, items: 200, days: 30, seed: 3 });
const SPACE: SearchSpace = {
  neighbours: { kind: 'int', min: 10, max: 400, log: true },
  alpha: { kind: 'float', min: 0.5, max: 1 },
  userWeighting: { kind: 'choice', values: ['none', 'idf', 'bm25'] },
};
const POLICY = { everyDays: 7, growthShare: 0.2 };
const NOW = new Date('2026-12-01T00:00:00Z');

describe('search', () => {
  it('starts with the defaults and keeps every sampled value inside its range, the same for a seed', () => {
    const trials = proposeTrials(SPACE, 12, 5);
    expect(trials[0]).toEqual({});
    expect(trials.length).toBe(12);
    for (const t of trials.slice(1)) {
      expect(Number.isInteger(t.neighbours)).toBe(true);
      expect(t.neighbours as number).toBeGreaterThanOrEqual(10);
      expect(t.neighbours as number).toBeLessThanOrEqual(400);
      expect(t.alpha as number).toBeGreaterThanOrEqual(0.5);
      expect(t.alpha as number).toBeLessThanOrEqual(1);
      expect(['none', 'idf', 'bm25']).toContain(t.userWeighting);
    }
    expect(proposeTrials(SPACE, 12, 5)).toEqual(trials);
    expect(proposeTrials(SPACE, 12, 6)).not.toEqual(trials);
  });

  it('uses every stratum of a range once (Latin hypercube)', () => {
    const trials = proposeTrials({ x: { kind: 'float', min: 0, max: 1 } }, 11, 9).slice(1);
    const strata = trials.map((t) => Math.floor((t.x as number) * 10)).sort((a, b) => a - b);
    expect(strata).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('rejects a log range that reaches zero, naming the key', () => {
    expect(() =>
      planTrials(
        [
          {
            algorithm: 'cf',
            searchSpace: { shrink: { kind: 'float', min: 0, max: 9, log: true } },
            estimatedMs: 0,
          },
        ],
        {
          maxTrials: 5,
          maxLambdaMs: 1e9,
          seed: 1,
        },
      ),
    ).toThrow(/searchSpace of cf: shrink is log-scaled/);
  });
});

describe('when tuning is due', () => {
  it('is due when never tuned', () => {
    expect(decideTuning({ manual: false, interactions: 10, now: NOW, policy: POLICY })).toMatchObject({
      due: true,
      reason: 'never tuned',
    });
  });

  it('is due when a manual run asks for it', () => {
    const last = { tunedAt: NOW.toISOString(), interactions: 10 };
    expect(decideTuning({ manual: true, last, interactions: 10, now: NOW, policy: POLICY }).due).toBe(true);
  });

  it('is due when the last tuning is older than the configured days', () => {
    const last = { tunedAt: '2026-11-20T00:00:00Z', interactions: 10 };
    const d = decideTuning({ manual: false, last, interactions: 10, now: NOW, policy: POLICY });
    expect(d).toMatchObject({ due: true });
    expect(d.reason).toMatch(/11\.0 days ago/);
  });

  it('is due when the data grew by the configured share', () => {
    const last = { tunedAt: '2026-11-30T00:00:00Z', interactions: 100 };
    expect(decideTuning({ manual: false, last, interactions: 120, now: NOW, policy: POLICY }).due).toBe(true);
    expect(decideTuning({ manual: false, last, interactions: 119, now: NOW, policy: POLICY }).due).toBe(
      false,
    );
  });

  it('reuses the stored parameters otherwise', () => {
    const last = { tunedAt: '2026-11-30T00:00:00Z', interactions: 100 };
    expect(decideTuning({ manual: false, last, interactions: 101, now: NOW, policy: POLICY }).reason).toMatch(
      /^reusing the parameters tuned 2026-11-30/,
    );
  });
});

describe('trial plan and selection', () => {
  it('spreads at most maxTrials over the algorithms and gives every one its defaults trial', () => {
    const plan = planTrials(
      [
        { algorithm: 'cf', searchSpace: SPACE, estimatedMs: 10 },
        { algorithm: 'session', estimatedMs: 10 },
      ],
      { maxTrials: 40, maxLambdaMs: 1e9, seed: 1 },
    );
    expect(plan.trials.length).toBeLessThanOrEqual(40);
    expect(plan.trials.filter((t) => t.algorithm === 'session')).toEqual([
      { algorithm: 'session', index: 0, params: {} },
    ]);
    expect(plan.trials.filter((t) => t.algorithm === 'cf').length).toBe(39);
  });

  it('cuts the most expensive algorithm first to fit the Lambda-minutes budget', () => {
    const plan = planTrials(
      [
        { algorithm: 'cf', searchSpace: SPACE, estimatedMs: 1000 },
        { algorithm: 'fm', searchSpace: searchSpaceOf('fm'), estimatedMs: 60_000 },
      ],
      { maxTrials: 40, maxLambdaMs: 5 * 60_000, seed: 1 },
    );
    expect(plan.estimatedMs).toBeLessThanOrEqual(5 * 60_000);
    expect(plan.trials.filter((t) => t.algorithm === 'fm').length).toBe(4);
    expect(plan.trials.filter((t) => t.algorithm === 'cf').length).toBe(20);
    expect(plan.trimmed).toMatch(/5 Lambda-minutes/);
  });

  it('picks the best trial per algorithm and the best algorithm as champion, ignoring rejected trials', () => {
    const results: TrialResult[] = [
      { algorithm: 'cf', index: 0, params: {}, score: 0.2, users: 9, ms: 1 },
      { algorithm: 'cf', index: 1, params: { neighbours: 20 }, score: 0.25, users: 9, ms: 1 },
      { algorithm: 'fm', index: 0, params: {}, score: 0.22, users: 9, ms: 1 },
      { algorithm: 'fm', index: 1, params: { factors: 1e9 }, users: 0, ms: 1, error: 'too big' },
    ];
    const s = selectBest(results);
    expect(s.champion).toEqual({
      algorithm: 'cf',
      params: { neighbours: 20 },
      score: 0.25,
      defaultScore: 0.2,
      trials: 2,
    });
    expect(s.best.find((b) => b.algorithm === 'fm')?.score).toBe(0.22);
    expect(describeChampion(s, 'precision', 10)).toMatch(
      /^champion cf: validation precision@10 0\.2500 \(defaults 0\.2000\)/,
    );
  });
});

describe('validation split and trials', () => {
  it('carves validation targets from the training rows only, never the evaluation hold-out', () => {
    const evaluation = splitDataset(dataset, 'random', { seed: 42 });
    const validation = carveValidation(evaluation.train, { seed: 43 });
    const trainPairs = new Set<string>();
    const it = evaluation.train.interactions;
    for (let r = 0; r < it.length; r++) trainPairs.add(`${it.user[r]}:${it.item[r]}`);
    let targets = 0;
    for (let u = 0; u < dataset.users.size; u++)
      for (let p = validation.test.offsets[u]; p < validation.test.offsets[u + 1]; p++) {
        expect(trainPairs.has(`${u}:${validation.test.items[p]}`)).toBe(true);
        targets++;
      }
    expect(targets).toBeGreaterThan(100);
    expect(validation.train.interactions.length).toBeLessThan(evaluation.train.interactions.length);
  });

  it('scores at most maxUsers validation users', () => {
    expect(carveValidation(dataset, { maxUsers: 50 }).testUsers).toBe(50);
  });

  it('reports params a trainer rejects as a failed trial instead of failing', async () => {
    const validation = carveValidation(dataset);
    const r = await runTrial(
      validation,
      { algorithm: 'cf', index: 1, params: { neighbours: -3 } },
      (ds, p, seed) => trainWithParams('cf', ds, p, seed),
      { metric: 'precision', k: 10, seed: 1 },
    );
    expect(r.score).toBeUndefined();
    expect(r.error).toMatch(/neighbours/);
  });

  it('tunes cf on the validation split and keeps a champion at least as good as the defaults', async () => {
    const search = await searchChampion(dataset, {
      candidates: [
        { algorithm: 'cf', searchSpace: searchSpaceOf('cf'), estimatedMs: 0 },
        { algorithm: 'popularity', estimatedMs: 0 },
      ],
      train: trainWithParams,
      maxTrials: 8,
      maxMs: 60_000,
      seed: 42,
      metric: 'precision',
      k: 10,
    });
    expect(search.results.length).toBe(8);
    const cf = search.selection.best.find((b) => b.algorithm === 'cf');
    expect(cf?.score).toBeGreaterThanOrEqual(cf?.defaultScore ?? 1);
    expect(search.selection.champion?.algorithm).toBe('cf');
    expect(search.validationUsers).toBeGreaterThan(200);
  });

  it('tries the blend last, with its members trained on their best params, and records its chosen weights', async () => {
    const seen: unknown[] = [];
    const search = await searchChampion(dataset, {
      candidates: [
        { algorithm: 'blend', estimatedMs: 0 },
        { algorithm: 'cf', searchSpace: searchSpaceOf('cf'), estimatedMs: 0 },
        { algorithm: 'ease', searchSpace: searchSpaceOf('ease'), estimatedMs: 0 },
      ],
      train: (algorithm, ds, params, seed) => {
        if (algorithm === 'blend') seen.push(params);
        return trainWithParams(algorithm, ds, params, seed);
      },
      maxTrials: 5,
      maxMs: 60_000,
      seed: 42,
      metric: 'precision',
      k: 10,
    });
    expect(search.results.map((r) => r.algorithm)).toEqual(['cf', 'ease', 'cf', 'ease', 'blend']);
    const best = (a: string) => search.selection.best.find((b) => b.algorithm === a)?.params;
    const blendPrior = selectBest(search.results.slice(0, 4)).best;
    expect(seen).toEqual([
      {
        members: ['cf', 'ease'],
        memberOptions: Object.fromEntries(blendPrior.map((b) => [b.algorithm, b.params])),
      },
    ]);
    const blend = best('blend');
    expect(blend?.fusion).toMatch(/^(rank|score|std)$/);
    expect(Object.keys(blend ?? {}).every((k) => ['fusion', 'cf', 'ease'].includes(k))).toBe(true);
  });
});

describe('the blend in the champion search', () => {
  it("chooses its weights from the validation split's training part alone", async () => {
    const candidates = ['cf', 'ease', 'blend'].map((algorithm) => ({ algorithm, estimatedMs: 0 }));
    const blendParams: Record<string, unknown>[] = [];
    const search = await searchChampion(dataset, {
      candidates,
      train: (algorithm, ds, params, seed) => {
        if (algorithm === 'blend') blendParams.push({ ...params });
        return trainWithParams(algorithm, ds, params, seed);
      },
      maxTrials: 3,
      maxMs: 60_000,
      seed: 42,
      metric: 'precision',
      k: 10,
    });
    const recorded = search.results.find((r) => r.algorithm === 'blend')?.params;
    // retrained on the validation-train part alone (no targets given), it makes the recorded choice
    const validation = carveValidation(dataset, { seed: 43 });
    const again = trainWithParams('blend', validation.train, blendParams[0], 42) as BlendModel;
    expect(again.chosenParams()).toEqual(recorded);
  });
});

describe('the nightly champion entry', () => {
  it("trains a blend champion with its chosen weights and each member's tuned params, explicit options winning", async () => {
    const { championOptionsOf } = await import('../../shared/pipeline/nightly.js');
    const options = championOptionsOf({
      trainOptions: { fm: { epochs: 2 } },
      tuned: {
        source: 'tuned',
        reason: 'never tuned',
        params: [
          { algorithm: 'ease', params: { lambda: 250 }, score: 0.2 },
          { algorithm: 'fm', params: { factors: 40, epochs: 9 }, score: 0.2 },
          { algorithm: 'session', params: {}, score: 0.1 },
          { algorithm: 'blend', params: { fusion: 'rank', ease: 1, fm: 0.5 }, score: 0.3 },
        ],
        champion: { algorithm: 'blend', score: 0.3, params: { fusion: 'rank', ease: 1, fm: 0.5 } },
      },
    });
    expect(options).toEqual({
      algorithm: 'blend',
      params: {
        members: ['ease', 'fm'],
        fusion: 'rank',
        ease: 1,
        fm: 0.5,
        memberOptions: { ease: { lambda: 250 }, fm: { factors: 40, epochs: 2 } },
      },
    });
  });

  it('falls back to cf with its defaults before any tuning', async () => {
    const { championOptionsOf } = await import('../../shared/pipeline/nightly.js');
    expect(championOptionsOf({ trainOptions: {}, tuned: undefined })).toEqual({
      algorithm: 'cf',
      params: {},
    });
  });
});

it('rejects a trial count below one', () => {
  expect(() => proposeTrials(SPACE, 0, 1)).toThrow(ValidationError);
});
