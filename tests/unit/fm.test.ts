import { describe, expect, it } from 'vitest';
import {
  deserializeFm,
  type FmEnsembleOptions as FmOptions,
  serializeFm,
  trainFm,
} from '../../shared/domain/algorithms/fm.js';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import { DataError, ValidationError } from '../../shared/domain/errors.js';
import { Rng } from '../../shared/domain/random.js';
import { category, plantedDataset } from '../helpers/fm-planted.js';

// single members keep these tests about the trainer; ensembles are tested in fm-ensemble.test.ts
const FAST: FmOptions = { factors: 8, epochs: 15, validationFraction: 0, seed: 3, members: 1 };

describe('trainFm', () => {
  it('ranks the planted category first for a cold user described only by attributes', () => {
    const ds = plantedDataset();
    const model = trainFm(ds, FAST);
    const female = model.recommendForAttributes({ gender: 'f' }, 10);
    const male = model.recommendForAttributes({ GENDER: 'm' }, 10);
    expect([...female.items].map((i) => category(ds, i))).toEqual(Array(10).fill('A'));
    expect([...male.items].map((i) => category(ds, i))).toEqual(Array(10).fill('B'));
  });

  it('scores a dataset user with no interactions from its attributes', () => {
    const ds = plantedDataset();
    const model = trainFm(ds, FAST);
    const top = model.recommend(ds.users.get('cold-f'), 10);
    expect(top.items.length).toBe(10);
    expect([...top.items].map((i) => category(ds, i))).toEqual(Array(10).fill('A'));
  });

  it('recommends unseen items of the preferred category to a warm user', () => {
    const ds = plantedDataset();
    const model = trainFm(ds, FAST);
    const u = ds.users.get('u1'); // GENDER=m
    const top = model.recommend(u, 5);
    expect([...top.items].map((i) => category(ds, i))).toEqual(Array(5).fill('B'));
  });

  it('excludes items the user already saw unless includeSeen', () => {
    const ds = plantedDataset();
    const model = trainFm(ds, FAST);
    const u = ds.users.get('u0');
    const seen = new Set<number>();
    for (let r = 0; r < ds.interactions.length; r++)
      if (ds.interactions.user[r] === u) seen.add(ds.interactions.item[r]);
    const all = model.recommend(u, ds.items.size);
    expect(all.items.length).toBe(ds.items.size - seen.size);
    for (const i of all.items) expect(seen.has(i)).toBe(false);
    const withSeen = model.recommend(u, ds.items.size, { includeSeen: true });
    expect(withSeen.items.length).toBe(ds.items.size);
  });

  it('is deterministic for a seed (identical parameter bytes)', () => {
    const ds = plantedDataset();
    const opts: FmOptions = { ...FAST, epochs: 5, validationFraction: 0.2 };
    const a = trainFm(ds, opts);
    const b = trainFm(ds, opts);
    expect(Buffer.from(a.params.v.buffer).equals(Buffer.from(b.params.v.buffer))).toBe(true);
    expect(Buffer.from(serializeFm(a)).equals(Buffer.from(serializeFm(b)))).toBe(true);
    const c = trainFm(ds, { ...opts, seed: 4 });
    expect(Buffer.from(a.params.v.buffer).equals(Buffer.from(c.params.v.buffer))).toBe(false);
  });

  it('learns the planted preference with BPR and Adam as well', () => {
    const ds = plantedDataset();
    const model = trainFm(ds, { ...FAST, loss: 'bpr', optimizer: 'adam', epochs: 30, learningRate: 0.02 });
    const top = model.recommendForAttributes({ GENDER: 'f' }, 5);
    expect([...top.items].map((i) => category(ds, i))).toEqual(Array(5).fill('A'));
  });

  it('learns the planted preference with history-item user features', () => {
    const ds = plantedDataset();
    const model = trainFm(ds, { ...FAST, historyFeatures: true, historyWeight: 0.5 });
    expect(model.layout.features).toBe(model.layout.itemBase + ds.items.size + 2);
    const top = model.recommend(ds.users.get('u1'), 5); // GENDER=m
    expect([...top.items].map((i) => category(ds, i))).toEqual(Array(5).fill('B'));
  });

  it('recommends from a few recent items without retraining (recommendForProfile)', () => {
    const ds = plantedDataset();
    const model = trainFm(ds, FAST);
    const recent = [ds.items.get('i25'), ds.items.get('i31')]; // category B
    const top = model.recommendForProfile({ items: recent }, 5);
    expect([...top.items].map((i) => category(ds, i))).toEqual(Array(5).fill('B'));
    for (const i of recent) expect([...top.items]).not.toContain(i);
  });

  it('learns the planted preference per pair (no history features) with parameter averaging', () => {
    const ds = plantedDataset();
    const model = trainFm(ds, { ...FAST, loss: 'warp', historyFeatures: false, parameterEma: 0.5 });
    const top = model.recommendForAttributes({ GENDER: 'm' }, 5);
    expect([...top.items].map((i) => category(ds, i))).toEqual(Array(5).fill('B'));
  });

  it('stops early and keeps the best epoch when validation stops improving', () => {
    // no structure to learn: validation precision plateaus while the model overfits
    const rng = new Rng(11);
    const b = new DatasetBuilder();
    for (let u = 0; u < 80; u++) for (let j = 0; j < 8; j++) b.addInteraction(`u${u}`, `i${rng.int(60)}`, j);
    const model = trainFm(b.build(), {
      members: 1,
      factors: 8,
      epochs: 60,
      patience: 3,
      validationFraction: 0.25,
      seed: 5,
    });
    const info = model.training!;
    expect(info.epochs).toBeLessThan(60);
    expect(info.history.length).toBe(info.epochs);
    expect(info.bestValidation).toBe(Math.max(...info.history));
    expect(info.history[info.bestEpoch - 1]).toBe(info.bestValidation);
    expect(info.epochs - info.bestEpoch).toBe(3);
  });

  it('stops when no validation gain reaches minImprovement within patience epochs', () => {
    const ds = plantedDataset();
    // no later gain can reach +1, so patience runs out counted from the first epoch
    const model = trainFm(ds, {
      ...FAST,
      epochs: 30,
      validationFraction: 0.2,
      patience: 2,
      minImprovement: 1,
    });
    const info = model.training!;
    expect(info.epochs).toBe(3);
    expect(info.bestValidation).toBe(Math.max(...info.history));
  });

  it('fine-tunes on all training data after early stopping when finetuneEpochs is set', () => {
    const ds = plantedDataset();
    const opts: FmOptions = { ...FAST, validationFraction: 0.2, patience: 2 };
    const plain = trainFm(ds, opts);
    const tuned = trainFm(ds, { ...opts, finetuneEpochs: 2 });
    expect(tuned.training!.finetuneEpochs).toBe(2);
    expect(Buffer.from(tuned.params.v.buffer).equals(Buffer.from(plain.params.v.buffer))).toBe(false);
    const top = tuned.recommendForAttributes({ GENDER: 'f' }, 5);
    expect([...top.items].map((i) => category(ds, i))).toEqual(Array(5).fill('A'));
  });

  it.each(['one', 'all'] as const)(
    'learns the planted preference with warp-batch (pool updates %s)',
    (mode) => {
      const ds = plantedDataset();
      const model = trainFm(ds, { ...FAST, loss: 'warp-batch', poolUpdates: mode, poolSize: 16 });
      expect(model.training!.loss).toBe('warp-batch');
      const top = model.recommend(ds.users.get('u1'), 5); // GENDER=m
      expect([...top.items].map((i) => category(ds, i))).toEqual(Array(5).fill('B'));
    },
  );

  it('learns the planted preference with per-positive WARP sampling', () => {
    const ds = plantedDataset();
    const model = trainFm(ds, { ...FAST, loss: 'warp' });
    const top = model.recommend(ds.users.get('u0'), 5); // GENDER=f
    expect([...top.items].map((i) => category(ds, i))).toEqual(Array(5).fill('A'));
  });

  it('rejects invalid options with a ValidationError', () => {
    const ds = plantedDataset();
    expect(() => trainFm(ds, { factors: 0 })).toThrow(ValidationError);
    expect(() => trainFm(ds, { validationFraction: 1 })).toThrow(ValidationError);
    expect(() => trainFm(ds, { biasL2: -1 })).toThrow(ValidationError);
    expect(() => trainFm(ds, { poolSize: 0 })).toThrow(ValidationError);
    expect(() => trainFm(ds, { members: 0 })).toThrow(ValidationError);
  });
});

describe('serializeFm / deserializeFm', () => {
  it('round-trips to a model with identical scores and recommendations', () => {
    const ds = plantedDataset();
    const model = trainFm(ds, FAST);
    const bytes = serializeFm(model);
    const loaded = deserializeFm(bytes);
    expect(loaded.name).toBe('fm');
    expect(loaded.layout.items.ids).toEqual(ds.items.ids);
    for (let u = 0; u < ds.users.size; u++) {
      expect(loaded.scoreUser(u)).toEqual(model.scoreUser(u));
      expect(loaded.recommend(u, 5)).toEqual(model.recommend(u, 5));
    }
    expect(loaded.recommendForAttributes({ GENDER: 'f', AGE: 'young|student' }, 7)).toEqual(
      model.recommendForAttributes({ GENDER: 'f', AGE: 'young|student' }, 7),
    );
    const profile = { attributes: { GENDER: 'm' }, items: [ds.items.get('i3')] };
    expect(loaded.recommendForProfile(profile, 6)).toEqual(model.recommendForProfile(profile, 6));
    expect(Buffer.from(serializeFm(loaded)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('round-trips a model with history-item user features', () => {
    const ds = plantedDataset();
    const model = trainFm(ds, { ...FAST, historyFeatures: true, historyWeight: 0.5 });
    const loaded = deserializeFm(serializeFm(model));
    for (let u = 0; u < ds.users.size; u++) expect(loaded.recommend(u, 5)).toEqual(model.recommend(u, 5));
  });

  it('rejects bytes that are not an FM model', () => {
    const bytes = serializeFm(trainFm(plantedDataset(), { ...FAST, epochs: 1 }));
    const bad = bytes.slice();
    bad[0] ^= 0xff;
    expect(() => deserializeFm(bad)).toThrow(DataError);
    expect(() => deserializeFm(bytes.subarray(0, bytes.length - 8))).toThrow(DataError);
  });
});
