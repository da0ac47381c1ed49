import { describe, expect, it } from 'vitest';
import type { Recommender } from '../../shared/domain/algorithms/recommender.js';
import { getAlgorithm } from '../../shared/domain/algorithms/registry.js';
import { keepBest, trainOnce } from '../../shared/domain/algorithms/train-memo.js';
import { generateShop } from '../../shared/domain/data/generator.js';
import { splitDataset } from '../../shared/domain/evaluation/splits.js';

const shop = generateShop({ users: 200, items: 100, seed: 5 });
const cf = getAlgorithm('cf');

describe('trainOnce with keepBest', () => {
  it('keeps an algorithm’s best trial model through later trials and the blend’s inner folds', () => {
    const tuning = splitDataset(shop.dataset, 'random', { seed: 1 }).train;
    let trainings = 0;
    const train = (ds: typeof tuning, neighbours: number): Recommender =>
      trainOnce('cf', ds, { neighbours }, 3, () => {
        trainings++;
        return cf.train(ds, { neighbours }, 3);
      });
    const best = train(tuning, 20);
    keepBest('cf', tuning, { neighbours: 20 }, 3, 0.5);
    // a worse trial is not kept instead of it; twelve later trials and two other datasets come and go
    train(tuning, 21);
    keepBest('cf', tuning, { neighbours: 21 }, 3, 0.4);
    for (let n = 30; n < 42; n++) train(tuning, n);
    for (const seed of [7, 8]) train(splitDataset(tuning, 'random', { seed }).train, 20);
    const before = trainings;
    expect(train(tuning, 20)).toBe(best);
    expect(trainings).toBe(before);
  });

  it('still evicts models that are nobody’s best', () => {
    const ds = splitDataset(shop.dataset, 'random', { seed: 2 }).train;
    let trainings = 0;
    const train = (neighbours: number) =>
      trainOnce('cf', ds, { neighbours }, 3, () => {
        trainings++;
        return cf.train(ds, { neighbours }, 3);
      });
    train(10);
    for (let n = 11; n < 30; n++) train(n);
    const before = trainings;
    train(10);
    expect(trainings).toBe(before + 1);
  });
});
