import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/domain/errors.js';
import { Rng } from '../../shared/domain/random.js';
import type { RecommendationStore } from '../../shared/ports/stores.js';
import { mapBounded, rankedList, userLists } from './generated.js';

/** The RecommendationStore contract; `factory` returns an empty store for each test. */
export function describeRecommendationStore(name: string, factory: () => Promise<RecommendationStore>): void {
  describe(`RecommendationStore contract (${name})`, () => {
    it('returns a written user list unchanged, in order', async () => {
      const store = await factory();
      const items = rankedList(new Rng(1), 50);
      await store.putUserLists('als', 'v1', [{ userId: 'u1', items }]);
      expect(await store.getUserList('als', 'v1', 'u1')).toEqual(items);
    });

    it('returns undefined for a user without a list', async () => {
      const store = await factory();
      await store.putUserLists('als', 'v1', userLists(new Rng(2), 3, 5));
      expect(await store.getUserList('als', 'v1', 'nobody')).toBeUndefined();
    });

    it('keeps algorithms and versions apart', async () => {
      const store = await factory();
      const rng = new Rng(3);
      const [a, b, c] = [rankedList(rng, 10), rankedList(rng, 10), rankedList(rng, 10)];
      await store.putUserLists('als', 'v1', [{ userId: 'u', items: a }]);
      await store.putUserLists('als', 'v2', [{ userId: 'u', items: b }]);
      await store.putUserLists('item-knn', 'v1', [{ userId: 'u', items: c }]);
      expect(await store.getUserList('als', 'v1', 'u')).toEqual(a);
      expect(await store.getUserList('als', 'v2', 'u')).toEqual(b);
      expect(await store.getUserList('item-knn', 'v1', 'u')).toEqual(c);
      expect(await store.getUserList('item-knn', 'v2', 'u')).toBeUndefined();
    });

    it('writes 1000 user lists in one call and reads back lists from every batch', async () => {
      const store = await factory();
      const lists = userLists(new Rng(4), 1000, 10);
      await store.putUserLists('als', 'v1', lists);
      // Every 4th user plus the last: each 25-item write batch is hit ~6 times, at a quarter of the
      // cost of 1000 GetItems against the emulator.
      const sample = lists.filter((_, i) => i % 4 === 0 || i === lists.length - 1);
      const read = await mapBounded(sample, 16, (l) => store.getUserList('als', 'v1', l.userId));
      expect(read).toEqual(sample.map((l) => l.items));
    });

    it('stores a 500-item list', async () => {
      const store = await factory();
      const items = rankedList(new Rng(5), 500, 1_000_000);
      await store.putUserLists('als', 'v1', [{ userId: 'heavy', items }]);
      expect(await store.getUserList('als', 'v1', 'heavy')).toEqual(items);
    });

    it('keeps the last list when a user appears twice in one call', async () => {
      const store = await factory();
      const rng = new Rng(6);
      const [first, last] = [rankedList(rng, 5), rankedList(rng, 5)];
      await store.putUserLists('als', 'v1', [
        { userId: 'u', items: first },
        { userId: 'u', items: last },
      ]);
      expect(await store.getUserList('als', 'v1', 'u')).toEqual(last);
    });

    it('stores an empty list as empty, not missing', async () => {
      const store = await factory();
      await store.putUserLists('als', 'v1', [{ userId: 'cold', items: [] }]);
      expect(await store.getUserList('als', 'v1', 'cold')).toEqual([]);
    });

    it("rejects a version containing '#' (it would collide with another key)", async () => {
      const store = await factory();
      await expect(store.putUserLists('als', 'v#1', userLists(new Rng(7), 1, 3))).rejects.toBeInstanceOf(
        ValidationError,
      );
    });

    it('rejects a non-finite score and writes nothing', async () => {
      const store = await factory();
      const good = { userId: 'good', items: rankedList(new Rng(8), 3) };
      const bad = { userId: 'bad', items: [{ itemId: 'x', score: Number.NaN }] };
      await expect(store.putUserLists('als', 'v1', [good, bad])).rejects.toBeInstanceOf(ValidationError);
      expect(await store.getUserList('als', 'v1', 'good')).toBeUndefined();
    });
  });
}
