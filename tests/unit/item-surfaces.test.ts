import { describe, expect, it } from 'vitest';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import { normalisedScores } from '../../shared/domain/recommend/scores.js';
import {
  attributeNeighbourLists,
  baskets,
  boughtTogetherLists,
  rankingLists,
  rankingScores,
  rankingSegment,
} from '../../shared/domain/surfaces/item-surfaces.js';

const DAY = 86_400;
const HOUR = 3600;

describe('shop surface lists (nightly, pure)', () => {
  it("splits one user's cart and purchase events into baskets at gaps over an hour, ignoring views", () => {
    const b = new DatasetBuilder();
    b.addInteraction('u1', 'a', 0, 'cart');
    b.addInteraction('u1', 'x', 60, 'view');
    b.addInteraction('u1', 'b', 120, 'purchase');
    b.addInteraction('u1', 'c', 120 + 2 * HOUR, 'cart');
    b.addInteraction('u2', 'a', 10, 'cart');
    const d = b.build();
    const { ptr, items } = baskets(d);
    const sets = Array.from({ length: ptr.length - 1 }, (_, k) =>
      [...items.subarray(ptr[k], ptr[k + 1])].map((i) => d.items.ids[i]).sort(),
    );
    expect(sets).toEqual([['a', 'b'], ['c'], ['a']]);
  });

  it('ranks bought-together neighbours by basket co-occurrence, never the item itself', () => {
    const b = new DatasetBuilder();
    // a and b share three baskets; a and c one
    for (let u = 0; u < 3; u++) {
      b.addInteraction(`u${u}`, 'a', 0, 'cart');
      b.addInteraction(`u${u}`, 'b', 10, 'purchase');
    }
    b.addInteraction('u9', 'a', 0, 'cart');
    b.addInteraction('u9', 'c', 10, 'cart');
    const lists = new Map(
      boughtTogetherLists(b.build()).map((l) => [l.userId, l.items.map((i) => i.itemId)]),
    );
    expect(lists.get('a')).toEqual(['b', 'c']);
    expect(lists.get('c')).toEqual(['a']);
  });

  it('gives an item without any event neighbours that share its attributes', () => {
    const b = new DatasetBuilder();
    b.addItem('new-toy', { CATEGORY: 'toys', PRICE_BAND: 'low' });
    b.addItem('toy-low', { CATEGORY: 'toys', PRICE_BAND: 'low' });
    b.addItem('toy-high', { CATEGORY: 'toys', PRICE_BAND: 'high' });
    b.addItem('book-low', { CATEGORY: 'books', PRICE_BAND: 'low' });
    b.addInteraction('u1', 'toy-low', 0, 'view');
    const d = b.build();
    const lists = new Map(
      attributeNeighbourLists(d, new Float64Array(d.items.size)).map((l) => [
        l.userId,
        l.items.map((i) => i.itemId),
      ]),
    );
    expect(lists.get('new-toy')?.slice(0, 1)).toEqual(['toy-low']);
    expect(lists.get('new-toy')).not.toContain('new-toy');
  });

  it('ranks trending items by their rise over their own baseline, not by volume', () => {
    const b = new DatasetBuilder();
    const now = 30 * DAY;
    // steady: 10 views in each of the last four weeks; rising: 1 a week, then 8 in the last week
    for (let w = 0; w < 4; w++) {
      for (let k = 0; k < 10; k++)
        b.addInteraction(`s${w}-${k}`, 'steady', now - w * 7 * DAY - k * HOUR, 'view');
      const rising = w === 0 ? 8 : 1;
      for (let k = 0; k < rising; k++)
        b.addInteraction(`r${w}-${k}`, 'rising', now - w * 7 * DAY - k * HOUR, 'view');
    }
    const d = b.build();
    const trending = rankingScores(d, 'trending');
    expect(trending[d.items.get('rising')]).toBeGreaterThan(trending[d.items.get('steady')]);
    expect(rankingScores(d, 'most-viewed')[d.items.get('steady')]).toBeGreaterThan(
      rankingScores(d, 'most-viewed')[d.items.get('rising')],
    );
  });

  it('counts only purchases for best sellers, within the window, per category too', () => {
    const b = new DatasetBuilder();
    b.addItem('a', { CATEGORY: 'toys' });
    b.addItem('b', { CATEGORY: 'books' });
    b.addItem('c', { CATEGORY: 'toys' });
    const now = 100 * DAY;
    b.addInteraction('u1', 'a', now, 'purchase');
    b.addInteraction('u2', 'a', now - DAY, 'purchase');
    b.addInteraction('u3', 'b', now - DAY, 'purchase');
    for (let k = 0; k < 50; k++) b.addInteraction(`v${k}`, 'c', now, 'view');
    b.addInteraction('u4', 'c', now - 60 * DAY, 'purchase'); // outside the 30-day window
    const lists = new Map(rankingLists(b.build()).map((l) => [l.segment, l.items.map((i) => i.itemId)]));
    expect(lists.get(rankingSegment('best-sellers'))).toEqual(['a', 'b']);
    expect(lists.get(rankingSegment('best-sellers', 'i:CATEGORY=toys'))).toEqual(['a']);
    expect(lists.get(rankingSegment('most-viewed'))).toEqual(['c']);
  });

  it("scales one source's scores to [0, 1] keeping their order, negative scores by min-max", () => {
    expect([
      ...normalisedScores([
        { itemId: 'a', score: 29 },
        { itemId: 'b', score: 14.5 },
      ]),
    ]).toEqual([1, 0.5]);
    expect([
      ...normalisedScores([
        { itemId: 'a', score: 2 },
        { itemId: 'b', score: -2 },
      ]),
    ]).toEqual([1, 0]);
    expect([...normalisedScores([{ itemId: 'a', score: 3 }])]).toEqual([1]);
  });
});
