import { describe, expect, it } from 'vitest';
import {
  deserializeFm,
  type FmEnsembleOptions,
  mergeFmModels,
  serializeFm,
  trainFm,
} from '../../shared/domain/algorithms/fm.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { category, plantedDataset } from '../helpers/fm-planted.js';

const SMALL: FmEnsembleOptions = { factors: 8, epochs: 6, validationFraction: 0, members: 1 };

function members(seeds: readonly number[], extra: FmEnsembleOptions = {}) {
  const ds = plantedDataset();
  return { ds, models: seeds.map((seed) => trainFm(ds, { ...SMALL, ...extra, seed })) };
}

describe('mergeFmModels', () => {
  it('scores every user with the mean of the members scores', () => {
    const { ds, models } = members([3, 4, 5]);
    const merged = mergeFmModels(models);
    expect(merged.k).toBe(24);
    for (let u = 0; u < ds.users.size; u++) {
      const scores = models.map((m) => m.scoreUser(u));
      const got = merged.scoreUser(u);
      for (let i = 0; i < got.length; i++) {
        const mean = (scores[0][i] + scores[1][i] + scores[2][i]) / 3;
        expect(got[i]).toBeCloseTo(mean, 4);
      }
    }
  });

  it('scores an attribute-only profile with the mean of the members scores', () => {
    const { models } = members([3, 4]);
    const merged = mergeFmModels(models);
    const { index, weight } = merged.attributeFeatures({ GENDER: 'f', AGE: 'adult' });
    const a = models[0].scoreFeatures(index, weight);
    const b = models[1].scoreFeatures(index, weight);
    const got = merged.scoreFeatures(index, weight);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo((a[i] + b[i]) / 2, 4);
  });

  it('round-trips a merged model through serializeFm unchanged', () => {
    const { ds, models } = members([3, 4]);
    const merged = mergeFmModels(models);
    const loaded = deserializeFm(serializeFm(merged));
    expect(loaded.k).toBe(16);
    for (let u = 0; u < ds.users.size; u++) expect(loaded.scoreUser(u)).toEqual(merged.scoreUser(u));
  });

  it('rejects members with different feature layouts', () => {
    const ds = plantedDataset();
    const a = trainFm(ds, { ...SMALL, seed: 3 });
    const b = trainFm(ds, { ...SMALL, seed: 4, historyFeatures: false });
    expect(() => mergeFmModels([a, b])).toThrow(ValidationError);
    expect(() => mergeFmModels([])).toThrow(ValidationError);
  });
});

describe('trainFm with members', () => {
  it('equals merging members trained with seeds seed, seed+1, … one by one', () => {
    const { ds, models } = members([3, 4]);
    const ensemble = trainFm(ds, { ...SMALL, members: 2, seed: 3, threads: 1 });
    expect(Buffer.from(serializeFm(ensemble)).equals(Buffer.from(serializeFm(mergeFmModels(models))))).toBe(
      true,
    );
    expect(ensemble.training!.members).toHaveLength(2);
  });

  it('gives the identical model when members train in worker threads', () => {
    const ds = plantedDataset();
    const opts: FmEnsembleOptions = { ...SMALL, members: 2, seed: 3 };
    const inline = trainFm(ds, { ...opts, threads: 1 });
    const threaded = trainFm(ds, { ...opts, threads: 2 });
    expect(Buffer.from(serializeFm(threaded)).equals(Buffer.from(serializeFm(inline)))).toBe(true);
  });

  it('recommends the planted category from an ensemble', () => {
    const ds = plantedDataset();
    const model = trainFm(ds, { ...SMALL, epochs: 15, members: 2, seed: 3, threads: 1 });
    const top = model.recommend(ds.users.get('u1'), 5); // GENDER=m
    expect([...top.items].map((i) => category(ds, i))).toEqual(Array(5).fill('B'));
  });
});
