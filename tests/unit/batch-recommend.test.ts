import { describe, expect, it } from 'vitest';
import { trainItemCf } from '../../shared/domain/algorithms/item-cf.js';
import type { Recommender } from '../../shared/domain/algorithms/recommender.js';
import { batchRecommend } from '../../shared/domain/batch/batch-recommend.js';
import { buildUserItemCsr } from '../../shared/domain/data/csr.js';
import { generateShop } from '../../shared/domain/data/generator.js';
import { trainPopularity } from '../../shared/domain/popularity/popularity.js';

const { dataset } = generateShop({ users: 300, items: 400, days: 30, seed: 11 });
const cf = trainItemCf(dataset);
const popular = trainPopularity(dataset);

async function run(lines: string[], recommender: Recommender = cf, numResults = 10) {
  const out: string[] = [];
  for await (const l of batchRecommend(lines, { dataset, recommender, fallback: popular, numResults }))
    out.push(l);
  return out.map((l) => JSON.parse(l));
}

describe('batchRecommend', () => {
  it('answers every line in order, reporting bad lines with their line number', async () => {
    const known = dataset.users.ids[0];
    const out = await run([
      JSON.stringify({ userId: known }),
      '{not json',
      JSON.stringify({ itemId: 'x' }),
      '',
      JSON.stringify({ userId: '' }),
      JSON.stringify({ userId: 'x'.repeat(257) }),
      JSON.stringify({ userId: 'nobody-like-this' }),
    ]);
    expect(out).toHaveLength(6); // the blank line is skipped
    expect(out[0].input).toEqual({ userId: known });
    expect(out[0].error).toBeNull();
    expect(out[0].output.recommendedItems).toHaveLength(10);
    expect(out[1]).toEqual({ input: '{not json', output: null, error: 'line 2: invalid JSON' });
    expect(out[2]).toEqual({ input: { itemId: 'x' }, output: null, error: 'line 3: missing userId' });
    expect(out[3].error).toBe('line 5: userId is empty');
    expect(out[4].error).toMatch(/^line 6: userId is longer than 256/);
    expect(out[5].error).toBeNull();
  });

  it('gives an unknown user the global popularity list', async () => {
    const [line] = await run([JSON.stringify({ userId: 'new-visitor' })]);
    const expected = Array.from(popular.recommend(-1, 10).items, (i) => dataset.items.ids[i]);
    expect(line.output.recommendedItems).toEqual(expected);
  });

  it('returns numResults unique, unseen items, filling from popularity when the algorithm runs short', async () => {
    // a recommender that only ever returns one item forces the popularity fill
    const stingy: Recommender = { name: 'stingy', recommend: (u, n) => cf.recommend(u, Math.min(n, 1)) };
    const u = 5;
    const [line] = await run([JSON.stringify({ userId: dataset.users.ids[u] })], stingy, 7);
    const items: string[] = line.output.recommendedItems;
    expect(items).toHaveLength(7);
    expect(new Set(items).size).toBe(7);
    const seen = buildUserItemCsr(dataset);
    const seenIds = new Set(
      Array.from(seen.indices.subarray(seen.indptr[u], seen.indptr[u + 1]), (i) => dataset.items.ids[i]),
    );
    for (const id of items) expect(seenIds.has(id)).toBe(false);
    expect(line.output.scores.slice(1)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('respects numResults for algorithm output', async () => {
    const out = await run(
      dataset.users.ids.slice(0, 20).map((userId) => JSON.stringify({ userId })),
      cf,
      3,
    );
    for (const line of out) {
      expect(line.output.recommendedItems).toHaveLength(3);
      expect(line.output.scores).toHaveLength(3);
    }
  });
});
