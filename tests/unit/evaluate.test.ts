import { describe, expect, it } from 'vitest';
import { algorithmNames, getAlgorithm } from '../../shared/domain/algorithms/registry.js';
import { generateShop } from '../../shared/domain/data/generator.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { buildUserItemCsr } from '../../shared/domain/data/csr.js';
import { evaluateAlgorithms, type NamedTrainer } from '../../shared/domain/evaluation/evaluate.js';
import { splitDataset } from '../../shared/domain/evaluation/splits.js';

const { dataset } = generateShop({ users: 400, items: 300, days: 30, seed: 5 });

describe('evaluateAlgorithms', () => {
  it('ranks item CF above global popularity on data with planted tastes', async () => {
    const r = await evaluateAlgorithms(dataset, {
      algorithms: ['cf', 'popularity'],
      protocol: 'random',
      k: 10,
    });
    const [cf, pop] = r.results;
    expect(cf.algorithm).toBe('cf');
    expect(cf.users).toBe(r.split.testUsers);
    expect(cf.metrics.ndcg).toBeGreaterThan(pop.metrics.ndcg);
    expect(cf.metrics.coverage).toBeGreaterThan(pop.metrics.coverage);
  });

  it('does not let training items take list slots', async () => {
    const split = splitDataset(dataset, 'random', { seed: 9 });
    const seen = buildUserItemCsr(split.train);
    const cf = getAlgorithm('cf');
    // the same CF lists, but with the user's own training items put in front
    const leaky: NamedTrainer = {
      name: 'leaky',
      train: (train, seed) => {
        const model = cf.train(train, {}, seed);
        return {
          name: 'leaky',
          recommend: (u, n) => {
            const own = seen.indices.subarray(seen.indptr[u], seen.indptr[u + 1]);
            const top = model.recommend(u, n);
            const items = Int32Array.from([...own, ...top.items]);
            return { items, scores: new Float32Array(items.length) };
          },
        };
      },
    };
    const r = await evaluateAlgorithms(dataset, { algorithms: ['cf', leaky], split, k: 10, fill: false });
    expect(r.results[1].metrics).toEqual(r.results[0].metrics);
  });

  it('reports progress for every algorithm', async () => {
    const phases: string[] = [];
    await evaluateAlgorithms(dataset, {
      algorithms: ['popularity'],
      protocol: 'temporal',
      onProgress: (p) => phases.push(`${p.algorithm}:${p.phase}`),
    });
    expect(phases[0]).toBe('popularity:train');
    expect(phases.at(-1)).toBe('popularity:done');
  });
});

describe('algorithm registry', () => {
  it('rejects an unknown algorithm naming the allowed values', () => {
    expect(() => getAlgorithm('magic')).toThrow(ValidationError);
    expect(() => getAlgorithm('magic')).toThrow(`allowed: ${algorithmNames().join(', ')}`);
  });
});
