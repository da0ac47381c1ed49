import { describe, expect, it } from 'vitest';
import {
  computeItemNeighbours,
  deserializeItemCf,
  interactionWeight,
  recommendFromItems,
  resolveEventWeights,
  scoreUser,
  serializeItemCf,
  trainItemCf,
} from '../../shared/domain/algorithms/item-cf.js';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import { buildUserItemCsr, transposeCsr } from '../../shared/domain/data/csr.js';
import type { Dataset } from '../../shared/domain/data/dataset.js';
import { generateShop } from '../../shared/domain/data/generator.js';
import { DataError } from '../../shared/domain/errors.js';
import { Rng } from '../../shared/domain/random.js';

/** Builds a dataset from [user, item, eventType?, timestamp?] rows. */
function dataset(rows: [string, string, string?, number?][]): Dataset {
  const b = new DatasetBuilder();
  rows.forEach(([u, i, et, ts], r) => {
    b.addInteraction(u, i, ts ?? r, et ?? '');
  });
  return b.build();
}

const PLAIN = {
  userWeighting: 'none',
  shrink: 0,
  alpha: 0.5,
  pruneBy: 'source',
  normalizeRows: false,
} as const;

// item vectors over users u1..u3: A = [1,1,1], B = [1,1,0], C = [0,1,1], D = [0,0,1]
const abc = () =>
  dataset([
    ['u1', 'A'],
    ['u1', 'B'],
    ['u2', 'A'],
    ['u2', 'B'],
    ['u2', 'C'],
    ['u3', 'A'],
    ['u3', 'C'],
    ['u3', 'D'],
  ]);

const cosine = (x: number[], y: number[]) => {
  const dot = x.reduce((s, v, k) => s + v * y[k], 0);
  return dot / (Math.hypot(...x) * Math.hypot(...y));
};

/** Generated taste clusters: users of cluster c only touch items of cluster c. */
function clustered(seed: number): Dataset {
  const rng = new Rng(seed);
  const b = new DatasetBuilder();
  for (let u = 0; u < 60; u++) {
    const c = u % 3;
    for (let e = 0; e < 8; e++) b.addInteraction(`u${u}`, `c${c}-i${rng.int(12)}`, e);
  }
  return b.build();
}

describe('item-based CF', () => {
  it('computes plain cosine similarity between item vectors', () => {
    const ds = abc();
    const m = trainItemCf(ds, PLAIN);
    const nb = m.neighbours(ds.items.get('A'));
    const sim = (id: string) => nb.scores[Array.from(nb.items).indexOf(ds.items.get(id))];
    expect(sim('B')).toBeCloseTo(cosine([1, 1, 1], [1, 1, 0]), 6);
    expect(sim('C')).toBeCloseTo(cosine([1, 1, 1], [0, 1, 1]), 6);
    expect(sim('D')).toBeCloseTo(cosine([1, 1, 1], [0, 0, 1]), 6);
  });

  it('applies shrinkage to the cosine denominator', () => {
    const ds = abc();
    const m = trainItemCf(ds, { ...PLAIN, shrink: 1 });
    const nb = m.neighbours(ds.items.get('B'));
    const a = Array.from(nb.items).indexOf(ds.items.get('A'));
    expect(nb.scores[a]).toBeCloseTo(2 / (Math.sqrt(2) * Math.sqrt(3) + 1), 6);
  });

  it('keeps only the top-K neighbours, best first', () => {
    const ds = abc();
    const full = trainItemCf(ds, PLAIN);
    const m = trainItemCf(ds, { ...PLAIN, neighbours: 1 });
    for (let i = 0; i < ds.items.size; i++) {
      const nb = m.neighbours(i);
      expect(nb.items.length).toBeLessThanOrEqual(1);
      expect(nb.items[0]).toBe(full.neighbours(i).items[0]);
    }
    const a = full.neighbours(ds.items.get('A')).scores;
    for (let k = 1; k < a.length; k++) expect(a[k - 1]).toBeGreaterThanOrEqual(a[k]);
  });

  it('excludes items the user already saw', () => {
    const ds = abc();
    const m = trainItemCf(ds, PLAIN);
    const top = m.recommend(ds.users.get('u1'), 10);
    const ids = Array.from(top.items, (i) => ds.items.ids[i]);
    expect(ids).not.toContain('A');
    expect(ids).not.toContain('B');
    expect(ids).toContain('C');
  });

  it('includes seen items when includeSeen is set', () => {
    const ds = abc();
    const m = trainItemCf(ds, PLAIN);
    const ids = Array.from(
      m.recommend(ds.users.get('u1'), 10, { includeSeen: true }).items,
      (i) => ds.items.ids[i],
    );
    expect(ids).toContain('A');
    expect(ids).toContain('B');
  });

  it('lets event weights change the ranking', () => {
    // X co-occurs with P, Y with Q; the target user viewed X and bought Y
    const rows: [string, string, string?, number?][] = [];
    for (let u = 0; u < 5; u++) rows.push([`a${u}`, 'X'], [`a${u}`, 'P'], [`b${u}`, 'Y'], [`b${u}`, 'Q']);
    rows.push(['t', 'X', 'view'], ['t', 'Y', 'purchase']);
    const ds = dataset(rows);
    const first = (weights?: Record<string, number>) => {
      const m = trainItemCf(ds, { ...PLAIN, eventWeights: weights });
      return ds.items.ids[m.recommend(ds.users.get('t'), 1).items[0]];
    };
    expect(first()).toBe('Q');
    expect(first({ view: 5, purchase: 1 })).toBe('P');
  });

  it('matches event type names case-insensitively and weighs unknown types 1', () => {
    const ds = dataset([
      ['u', 'A', 'PURCHASE'],
      ['u', 'B', 'Cart'],
      ['u', 'C', 'wink'],
      ['u', 'D'],
    ]);
    const w = resolveEventWeights(ds.eventTypes, { purchase: 6, cart: 4 });
    expect(w[ds.eventTypes.get('PURCHASE')]).toBe(6);
    expect(w[ds.eventTypes.get('Cart')]).toBe(4);
    expect(w[ds.eventTypes.get('wink')]).toBe(1);
    expect(w[ds.eventTypes.get('')]).toBe(1);
  });

  it('lets time decay favour recent interactions', () => {
    const day = 86400;
    const rows: [string, string, string?, number?][] = [];
    for (let u = 0; u < 5; u++)
      rows.push([`a${u}`, 'X', '', 0], [`a${u}`, 'P', '', 0], [`b${u}`, 'Y', '', 0], [`b${u}`, 'Q', '', 0]);
    // X twice (long ago), Y once (recently)
    rows.push(['t', 'X', '', 0], ['t', 'X', '', 1], ['t', 'Y', '', 100 * day]);
    const ds = dataset(rows);
    const first = (halfLifeDays: number) =>
      ds.items.ids[trainItemCf(ds, { ...PLAIN, halfLifeDays }).recommend(ds.users.get('t'), 1).items[0]];
    expect(first(0)).toBe('P');
    expect(first(10)).toBe('Q');
  });

  it('returns nothing for unknown users and users without history', () => {
    const b = new DatasetBuilder();
    b.addInteraction('u1', 'A', 0);
    b.addInteraction('u1', 'B', 1);
    b.addUser('ghost', { GENDER: 'f' });
    const ds = b.build();
    const m = trainItemCf(ds);
    expect(m.recommend(-1, 5).items.length).toBe(0);
    expect(m.recommend(ds.users.size + 3, 5).items.length).toBe(0);
    expect(m.recommend(ds.users.get('ghost'), 5).items.length).toBe(0);
  });

  it('recommends within the taste cluster on generated data', () => {
    const ds = clustered(7);
    const m = trainItemCf(ds);
    for (let u = 0; u < ds.users.size; u++) {
      const cluster = `c${Number(ds.users.ids[u].slice(1)) % 3}-`;
      for (const i of m.recommend(u, 3).items) expect(ds.items.ids[i].startsWith(cluster)).toBe(true);
    }
  });

  it('scores an arbitrary item list and leaves out those items and the exclude list', () => {
    const ds = clustered(3);
    const m = trainItemCf(ds);
    const hist = [ds.items.get('c0-i1'), ds.items.get('c0-i2')];
    const dense = scoreUser(m, hist, [1, 1]);
    const top = recommendFromItems(m, hist, undefined, 20, [ds.items.get('c0-i3')]);
    const got = Array.from(top.items);
    expect(got).not.toContain(hist[0]);
    expect(got).not.toContain(ds.items.get('c0-i3'));
    for (let k = 0; k < got.length; k++) expect(top.scores[k]).toBeCloseTo(dense[got[k]], 5);
  });

  it('gives identical recommendations after a serialisation round trip', () => {
    const ds = clustered(11);
    const m = trainItemCf(ds);
    const back = deserializeItemCf(serializeItemCf(m), ds.items.ids);
    for (let u = 0; u < ds.users.size; u++) expect(back.recommend(u, 10)).toEqual(m.recommend(u, 10));
  });

  it('serialises neighbours only when history is left out', () => {
    const ds = clustered(11);
    const m = trainItemCf(ds);
    const bytes = serializeItemCf(m, { includeHistory: false });
    expect(bytes.byteLength).toBeLessThan(serializeItemCf(m).byteLength);
    const back = deserializeItemCf(bytes, ds.items.ids);
    expect(back.recommend(0, 5).items.length).toBe(0);
    expect(back.recommendFromItems([1, 2], undefined, 5)).toEqual(m.recommendFromItems([1, 2], undefined, 5));
  });

  it('rejects corrupt model bytes with a DataError', () => {
    const ds = clustered(11);
    const bytes = serializeItemCf(trainItemCf(ds));
    expect(() => deserializeItemCf(bytes.slice(0, bytes.length - 4), ds.items.ids)).toThrow(DataError);
    const bad = bytes.slice();
    bad[0] ^= 0xff;
    expect(() => deserializeItemCf(bad, ds.items.ids)).toThrow(DataError);
  });

  it('is deterministic for the same data', () => {
    const a = trainItemCf(clustered(5));
    const b = trainItemCf(clustered(5));
    expect(serializeItemCf(a)).toEqual(serializeItemCf(b));
  });

  it('gives the same neighbour lists through the symmetric and the per-item kernels', () => {
    const ds = generateShop({ users: 300, items: 120, seed: 9 }).dataset;
    // event weights and decay make the weights non-binary, so the sums' order matters
    const weight = interactionWeight(ds, { purchase: 3 }, 30);
    const itemUsers = transposeCsr(buildUserItemCsr(ds, weight));
    for (const options of [
      {},
      { ...PLAIN, neighbours: 30 },
      { userWeighting: 'bm25', simExponent: 2 } as const,
    ]) {
      const symmetric = computeItemNeighbours(itemUsers, options, 'symmetric');
      expect(symmetric.indices.length).toBeGreaterThan(0);
      expect(symmetric).toEqual(computeItemNeighbours(itemUsers, options, 'per-item'));
    }
  });
});
