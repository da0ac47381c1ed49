import { describe, expect, it } from 'vitest';
import { invertSpd } from '../../shared/domain/algorithms/dense-spd.js';
import { trainEase } from '../../shared/domain/algorithms/ease.js';
import { deserializeIals, serializeIals, trainIals } from '../../shared/domain/algorithms/ials.js';
import {
  deserializeLinearItemModel,
  type LinearModelName,
  serializeLinearItemModel,
} from '../../shared/domain/algorithms/linear-item-model.js';
import type { Recommender } from '../../shared/domain/algorithms/recommender.js';
import { trainRp3beta } from '../../shared/domain/algorithms/rp3beta.js';
import { trainSlim } from '../../shared/domain/algorithms/slim.js';
import { buildUserItemCsr } from '../../shared/domain/data/csr.js';
import type { Dataset } from '../../shared/domain/data/dataset.js';
import { generateShop } from '../../shared/domain/data/generator.js';
import { DataError, ValidationError } from '../../shared/domain/errors.js';
import { evaluateAlgorithms } from '../../shared/domain/evaluation/evaluate.js';
import { splitDataset } from '../../shared/domain/evaluation/splits.js';
import { trainPopularity } from '../../shared/domain/popularity/popularity.js';

// one small generated shop (planted taste clusters) shared by every model's test
const shop = generateShop({ users: 500, items: 240, seed: 5 });
const split = splitDataset(shop.dataset, 'random', { seed: 3 });

/** Tiny settings so each model trains in well under a second. */
const MODELS: { name: string; train: (d: Dataset) => Recommender; bad: Record<string, unknown> }[] = [
  { name: 'ease', train: (d) => trainEase(d, { lambda: 50 }), bad: { lambda: -1 } },
  { name: 'rp3beta', train: (d) => trainRp3beta(d, { neighbours: 50 }), bad: { beta: 'high' } },
  { name: 'slim', train: (d) => trainSlim(d, { neighbours: 30 }), bad: { neighbours: 0 } },
  {
    name: 'ials',
    train: (d) => trainIals(d, { factors: 16, iterations: 6 }, 1),
    bad: { factors: 2.5 },
  },
];

/** The trainers with raw (unchecked) options, as the CLI and the nightly hand them over. */
const TRAINERS: Record<string, (d: Dataset, o: unknown) => Recommender> = {
  ease: (d, o) => trainEase(d, o as never),
  rp3beta: (d, o) => trainRp3beta(d, o as never),
  slim: (d, o) => trainSlim(d, o as never),
  ials: (d, o) => trainIals(d, o as never),
};

const precisionOf = async (train: (d: Dataset) => Recommender) => {
  const r = await evaluateAlgorithms(shop.dataset, {
    algorithms: [{ name: 'm', train }],
    split,
    k: 10,
    fill: false,
  });
  return r.results[0].metrics.precision;
};

const popularityPrecision = precisionOf((d) => trainPopularity(d, { halfLifeDays: 0 }));

const roundTrip = (name: string, model: Recommender): Recommender =>
  name === 'ials'
    ? deserializeIals(serializeIals(model as ReturnType<typeof trainIals>), shop.dataset.items)
    : deserializeLinearItemModel(
        name as LinearModelName,
        serializeLinearItemModel(model as ReturnType<typeof trainEase>),
        shop.dataset.items.ids,
      );

describe.each(MODELS)('$name', ({ name, train, bad }) => {
  it('beats popularity on the held-out items of a generated shop', async () => {
    const [p, pop] = await Promise.all([precisionOf(train), popularityPrecision]);
    expect(p).toBeGreaterThan(pop * 1.2);
  });

  it('round-trips through its binary form with identical lists', () => {
    const model = train(split.train);
    const loaded = roundTrip(name, model);
    expect(loaded.name).toBe(name);
    for (const u of [0, 7, 123, 499]) expect(loaded.recommend(u, 10)).toEqual(model.recommend(u, 10));
  });

  it('rejects an unknown option naming it', () => {
    const trainer = TRAINERS[name];
    expect(() => trainer(split.train, { lambdaa: 3 })).toThrow(`${name}.lambdaa: unknown option`);
  });

  it('rejects an out-of-range or mistyped option naming it', () => {
    const trainer = TRAINERS[name];
    const key = Object.keys(bad)[0];
    const err = (() => {
      try {
        trainer(split.train, bad);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).parameter).toBe(`${name}.${key}`);
  });
});

describe('ease', () => {
  it('models only the maxItems most popular items when the catalogue is larger', () => {
    const model = trainEase(split.train, { maxItems: 20 });
    // popularity as distinct users per item
    const degree = new Int32Array(shop.dataset.items.size);
    for (const i of buildUserItemCsr(split.train).indices) degree[i]++;
    const top = [...degree.keys()].sort((a, b) => degree[b] - degree[a] || a - b).slice(0, 20);
    const recommended = new Set<number>();
    for (let u = 0; u < 100; u++) for (const i of model.recommend(u, 10).items) recommended.add(i);
    expect(recommended.size).toBeGreaterThan(0);
    for (const i of recommended) expect(top).toContain(i);
  });
});

describe('ials', () => {
  it('folds in an unseen history and ranks its taste cluster above others', () => {
    const model = trainIals(shop.dataset, { factors: 16, iterations: 6 });
    const cluster = shop.itemCluster;
    // the items of one planted cluster, as a visitor's recent views
    const target = cluster[0];
    const history = [...cluster.keys()].filter((i) => cluster[i] === target).slice(0, 4);
    const top = model.recommendFromItems(history, undefined, 5);
    const same = [...top.items].filter((i) => cluster[i] === target).length;
    expect(top.items).not.toContain(history[0]);
    expect(same).toBeGreaterThanOrEqual(3);
  });
});

describe('invertSpd', () => {
  it('inverts a symmetric positive-definite matrix', () => {
    const a = Float64Array.of(4, 2, 0.5, 2, 3, 1, 0.5, 1, 2);
    const inv = invertSpd(a.slice(), 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += a[i * 3 + k] * inv[k * 3 + j];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
      }
  });

  it('rejects a matrix that is not positive definite', () => {
    expect(() => invertSpd(Float64Array.of(1, 2, 2, 1), 2)).toThrow(DataError);
  });
});
