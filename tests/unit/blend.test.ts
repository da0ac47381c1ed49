import { describe, expect, it } from 'vitest';
import {
  type BlendMemberEntry,
  BlendModel,
  carveFolds,
  FUSIONS,
  searchBlendWeights,
  trainBlend,
} from '../../shared/domain/algorithms/blend.js';
import type { Recommender, TopN } from '../../shared/domain/algorithms/recommender.js';
import { getAlgorithm, trainEntry } from '../../shared/domain/algorithms/registry.js';
import { trainOnce } from '../../shared/domain/algorithms/train-memo.js';
import type { Dataset } from '../../shared/domain/data/dataset.js';
import { generateShop } from '../../shared/domain/data/generator.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { evaluateAlgorithms } from '../../shared/domain/evaluation/evaluate.js';
import { splitDataset, targetsOf } from '../../shared/domain/evaluation/splits.js';

// a small generated shop and tiny member settings, so a blend (members trained once per fold and once more) takes a few seconds
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
    expect(FUSIONS).toContain(params.fusion);
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

  it('pools two validation folds carved from its training rows, each holding out different rows', () => {
    const train = split.train;
    const folds = carveFolds(train, 2, { protocol: 'random', seed: 1, maxUsers: 2000 });
    expect(folds.splits).toHaveLength(2);
    expect(folds.targets).toHaveLength(folds.splits[0].users.length + folds.splits[1].users.length);
    const own = Array.from({ length: train.users.size }, () => new Set<number>());
    const rows = train.interactions;
    for (let r = 0; r < rows.length; r++) own[rows.user[r]].add(rows.item[r]);
    let differ = 0;
    for (let u = 0; u < train.users.size; u++) {
      const [a, b] = folds.splits.map((f) => [...targetsOf(f.split.test, u)]);
      // a fold's targets are the user's training rows (the blend never sees the caller's hold-out)
      for (const j of [...a, ...b]) expect(own[u].has(j)).toBe(true);
      if (a.join() !== b.join()) differ++;
    }
    expect(differ).toBeGreaterThan(train.users.size / 2);
  });

  it('trains each member once per fold on rows of its training data, then once on all of it', () => {
    const trained: { member: string; rows: number }[] = [];
    const resolve = (name: string) => {
      const entry = getAlgorithm(name);
      return {
        ...entry,
        train: (d: Dataset, options: unknown, seed: number) => {
          trained.push({ member: name, rows: d.interactions.length });
          return entry.train(d, options, seed);
        },
      } as BlendMemberEntry;
    };
    const options = { members: ['cf', 'ease'], memberOptions: MEMBERS.memberOptions };
    const all = split.train.interactions.length;
    for (const folds of [1, 2]) {
      trained.length = 0;
      const model = trainBlend(split.train, { ...options, folds }, 1, resolve);
      const onFolds = trained.filter((t) => t.rows < all);
      expect(onFolds.map((t) => t.member).sort()).toEqual(
        Array.from({ length: folds }, () => ['cf', 'ease'])
          .flat()
          .sort(),
      );
      expect(trained.filter((t) => t.rows === all).map((t) => t.member)).toEqual(model.memberNames);
    }
  });

  it('carves the second temporal fold from the window before the first (rolling origin)', () => {
    const [f0, f1] = carveFolds(split.train, 2, { protocol: 'temporal', seed: 1, maxUsers: 2000 }).splits;
    expect(f1.split.train.interactions.length).toBeLessThan(f0.split.train.interactions.length);
    const rows = f0.split.train.interactions;
    const earlier = Array.from({ length: split.train.users.size }, () => new Set<number>());
    for (let r = 0; r < rows.length; r++) earlier[rows.user[r]].add(rows.item[r]);
    let differ = 0;
    for (const u of f1.users) {
      const later = [...targetsOf(f0.split.test, u)];
      const before = [...targetsOf(f1.split.test, u)];
      for (const j of before) expect(earlier[u].has(j)).toBe(true);
      if (later.join() !== before.join()) differ++;
    }
    expect(differ).toBeGreaterThan(f1.users.length / 2);
  });

  it('rejects a fold count outside 1 to 5, naming the key', () => {
    expect(() => trainEntry(blend, split.train, { ...MEMBERS, folds: 0 }, 1)).toThrow(/blend\.folds/);
    expect(() => trainEntry(blend, split.train, { ...MEMBERS, folds: 6 }, 1)).toThrow(/blend\.folds/);
  });

  it("ranks one member's standout item above another's top of an even list under std fusion", () => {
    // member a: item 0 far above a flat tail; member b: item 1 on top of an even ramp
    const fixed = (items: number[], scores: number[]): Recommender => ({
      name: 'fixed',
      recommend: () => ({ items: Int32Array.from(items), scores: Float32Array.from(scores) }),
    });
    const tail = Array.from({ length: 20 }, (_, i) => i);
    const a = fixed([0, ...tail.map((i) => 10 + i)], [10, ...tail.map(() => 0)]);
    const b = fixed([1, ...tail.map((i) => 40 + i)], [20, ...tail.map((i) => 19 - i)]);
    const top = (fusion: 'score' | 'std') =>
      new BlendModel([a, b], [1, 1], 80, { fusion, candidates: 21, rankOffset: 20 }).recommend(0, 2);
    const minMax = top('score');
    expect(minMax.scores[0]).toBe(minMax.scores[1]);
    const std = top('std');
    expect(std.items[0]).toBe(0);
    expect(std.scores[0]).toBeGreaterThan(std.scores[1]);
  });
});
