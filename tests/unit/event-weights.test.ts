import { describe, expect, it } from 'vitest';
import { getAlgorithm } from '../../shared/domain/algorithms/registry.js';
import { generateShop } from '../../shared/domain/data/generator.js';
import { ValidationError } from '../../shared/domain/errors.js';

const { dataset } = generateShop({ users: 60, items: 40, days: 5, seed: 4 });

describe('event weights shared by every trainer', () => {
  it.each(['cf', 'session', 'fm', 'popularity', 'popularity:segment'])(
    'refuses a negative event weight in %s, naming the event type',
    (name) => {
      const entry = getAlgorithm(name);
      const options = name === 'fm' ? { epochs: 1, factors: 2, members: 1, validationFraction: 0 } : {};
      const train = () => entry.train(dataset, { ...options, eventWeights: { view: 1, purchase: -1 } }, 1);
      expect(train).toThrow(ValidationError);
      expect(train).toThrow(
        'event weight of "purchase" must be a finite number >= 0 (0 ignores the type), got -1',
      );
    },
  );

  it('lets a zero weight mute an event type in popularity without making its items unseen', () => {
    const entry = getAlgorithm('popularity');
    const muted = entry.train(dataset, { eventWeights: { view: 0, favorite: 0, cart: 0, purchase: 1 } }, 1);
    const all = entry.train(dataset, {}, 1);
    // the user's viewed-only items stay excluded from their list under both weightings
    const u = 0;
    const seen = new Set<number>();
    for (let r = 0; r < dataset.interactions.length; r++)
      if (dataset.interactions.user[r] === u) seen.add(dataset.interactions.item[r]);
    for (const model of [muted, all])
      expect([...model.recommend(u, dataset.items.size).items].filter((i) => seen.has(i))).toEqual([]);
    expect([...muted.recommend(u, 10).items]).not.toEqual([...all.recommend(u, 10).items]);
  });
});
