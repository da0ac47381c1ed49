import { describe, expect, it } from 'vitest';
import { searchBlendWeights } from '../../shared/domain/algorithms/blend.js';
import type { TopN } from '../../shared/domain/algorithms/recommender.js';
import { getAlgorithm, trainEntry } from '../../shared/domain/algorithms/registry.js';
import { trainOnce } from '../../shared/domain/algorithms/train-memo.js';
import { generateShop } from '../../shared/domain/data/generator.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { evaluateAlgorithms } from '../../shared/domain/evaluation/evaluate.js';
import { splitDataset } from '../../shared/domain/evaluation/splits.js';

// a small generated shop and tiny member settings, so a blend (members trained twice) takes about a second
const shop = generateShop({ users: 400, items: 200, seed: 9 });
const split = splitDataset(shop.dataset, 'random', { seed: 4 });
const MEMBERS = {
  members: ['cf', 'ease', 'ials'],
  memberOptions: { ease: { lambda: 50 }, ials: { factors: 8, iterations: 4 } },
};
const blend = getAlgorithm('blend');

const listOf = (items: number[]): TopN => ({
  items: Int32Array.from(items),
  scores: Float32Array.from(items.map((_, r) => items.length - r)),
});

describe('blend (registry entry)', () => {
  it('chooses members, weights and fusion on a validation split carved from its training data', () => {
    const model = trainEntry(
      blend,
      split.train,
      MEMBERS,
      1,
    ) as import('../../shared/domain/algorithms/blend.js').BlendModel;
    const params = model.chosenParams();
    expect(['rank', 'score']).toContain(params.fusion);
    expect(model.memberNames?.length).toBeGreaterThan(0);
    for (const m of model.memberNames ?? []) expect(MEMBERS.members).toContain(m);
    expect(model.weights.every((w) => w > 0)).toBe(true);
  });

  it('scores at least as well as its weakest member on the held-out items', async () => {
    const r = await evaluateAlgorithms(shop.dataset, {
      algorithms: [
        { name: 'blend', train: (d) => trainEntry(blend, d, MEMBERS, 1) },
        { name: 'cf', train: (d) => trainEntry(getAlgorithm('cf'), d, {}, 1) },
        { name: 'ials', train: (d) => trainEntry(getAlgorithm('ials'), d, MEMBERS.memberOptions.ials, 1) },
      ],
      split,
      k: 10,
      fill: false,
    });
    const [b, cf, ials] = r.results.map((x) => x.metrics.precision);
    expect(b).toBeGreaterThanOrEqual(Math.min(cf, ials));
  });

  it('round-trips a blend of stored member models with identical lists', () => {
    const model = trainEntry(
      blend,
      split.train,
      { fusion: 'rank', ease: 1, ials: 0.5, memberOptions: MEMBERS.memberOptions },
      1,
    );
    const bytes = blend.serialize?.(model) as Uint8Array;
    const loaded = blend.deserialize?.(bytes, split.train) as typeof model;
    expect(loaded.name).toBe('blend');
    for (const u of [0, 5, 77, 399]) expect(loaded.recommend(u, 10)).toEqual(model.recommend(u, 10));
  });

  it('reuses a member the process already trained on the same data with equal options and seed', () => {
    const cf = getAlgorithm('cf');
    const options = { neighbours: 40, shrink: 5 };
    let trained = 0;
    const own = trainOnce('cf', split.train, options, 3, () => {
      trained++;
      return cf.train(split.train, options, 3);
    });
    // the same options merged in another key order hit; another seed or other data train anew
    expect(
      trainOnce('cf', split.train, { shrink: 5, neighbours: 40 }, 3, () => cf.train(split.train, {}, 3)),
    ).toBe(own);
    const fixed = { cf: 1, ease: 1, memberOptions: { cf: options } };
    const model = trainEntry(
      blend,
      split.train,
      fixed,
      3,
    ) as import('../../shared/domain/algorithms/blend.js').BlendModel;
    expect(model.members[0]).toBe(own);
    expect((trainEntry(blend, split.train, fixed, 4) as typeof model).members[0]).not.toBe(own);
    expect(trained).toBe(1);
  });

  it('rejects an unknown member option naming its path', () => {
    expect(() => trainEntry(blend, split.train, { memberOptions: { ease: { lamda: 3 } } }, 1)).toThrow(
      /blend\.memberOptions\.ease\.lamda: unknown option/,
    );
    expect(() => trainEntry(blend, split.train, { members: ['popularity'] }, 1)).toThrow(ValidationError);
    expect(() => trainEntry(blend, split.train, { ease: 0, ials: 0 }, 1)).toThrow(/weight must be > 0/);
  });

  it('gives weight to a second member only when it raises validation precision', () => {
    // member 0 hits each user's target at rank 2, member 1 at rank 1 for half the users and never otherwise
    const targets = [0, 1, 2, 3].map((t) => Int32Array.from([t]));
    const a = targets.map((_, u) => listOf([50 + u, u]));
    const b = targets.map((_, u) => (u % 2 === 0 ? listOf([u, 60]) : listOf([61, 62])));
    const choice = searchBlendWeights(
      [a, b],
      targets,
      100,
      { fusion: 'rank', candidates: 10, rankOffset: 20 },
      1,
    );
    expect(choice.score).toBe(0.5);
    const lone = searchBlendWeights(
      [a, a.map(() => listOf([70, 71]))],
      targets,
      100,
      { fusion: 'rank', candidates: 10, rankOffset: 20 },
      2,
    );
    expect(lone.weights).toEqual([1, 0]);
  });
});
