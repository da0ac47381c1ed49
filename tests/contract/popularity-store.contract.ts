import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/domain/random.js';
import { POPULARITY_PAGE_ITEMS, type PopularityStore } from '../../shared/ports/stores.js';
import { rankedList } from './generated.js';

/** The PopularityStore contract; `factory` returns an empty store for each test. */
export function describePopularityStore(name: string, factory: () => Promise<PopularityStore>): void {
  describe(`PopularityStore contract (${name})`, () => {
    it('returns the requested segment lists unchanged', async () => {
      const store = await factory();
      const rng = new Rng(11);
      const lists = ['global', 'GENDER=f', 'GENDER=f|AGE_GROUP=30s'].map((segment) => ({
        segment,
        items: rankedList(rng, 100),
      }));
      await store.putSegmentLists('v1', lists);
      const read = await store.getSegmentLists('v1', ['global', 'GENDER=f|AGE_GROUP=30s']);
      expect([...read.keys()]).toEqual(['global', 'GENDER=f|AGE_GROUP=30s']);
      expect(read.get('global')).toEqual(lists[0].items);
      expect(read.get('GENDER=f|AGE_GROUP=30s')).toEqual(lists[2].items);
    });

    it('stores a list longer than a page as pages: the first from getSegmentLists, the rest by page', async () => {
      const store = await factory();
      const items = rankedList(new Rng(15), 2 * POPULARITY_PAGE_ITEMS + 7);
      await store.putSegmentLists('v1', [{ segment: 'global', items }]);
      const first = (await store.getSegmentLists('v1', ['global'])).get('global');
      const pages = [
        first,
        await store.getListPage('v1', 'global', 1),
        await store.getListPage('v1', 'global', 2),
      ];
      expect(pages.flatMap((p) => p ?? [])).toEqual(items);
      expect(pages.map((p) => p?.length)).toEqual([POPULARITY_PAGE_ITEMS, POPULARITY_PAGE_ITEMS, 7]);
      expect(await store.getListPage('v1', 'global', 3)).toBeUndefined();
    });

    it('leaves missing segments out of the result', async () => {
      const store = await factory();
      await store.putSegmentLists('v1', [{ segment: 'global', items: rankedList(new Rng(12), 5) }]);
      const read = await store.getSegmentLists('v1', ['global', 'GENDER=m']);
      expect([...read.keys()]).toEqual(['global']);
    });

    it('keeps versions apart', async () => {
      const store = await factory();
      const rng = new Rng(13);
      const [v1, v2] = [rankedList(rng, 5), rankedList(rng, 5)];
      await store.putSegmentLists('v1', [{ segment: 'global', items: v1 }]);
      await store.putSegmentLists('v2', [{ segment: 'global', items: v2 }]);
      expect((await store.getSegmentLists('v1', ['global'])).get('global')).toEqual(v1);
      expect((await store.getSegmentLists('v2', ['global'])).get('global')).toEqual(v2);
      expect((await store.getSegmentLists('v3', ['global'])).size).toBe(0);
    });

    it('reads more segments than one batch holds, tolerating duplicates in the request', async () => {
      const store = await factory();
      const rng = new Rng(14);
      const lists = Array.from({ length: 250 }, (_, i) => ({
        segment: `CATEGORY=c${i}`,
        items: rankedList(rng, 3),
      }));
      await store.putSegmentLists('v1', lists);
      const wanted = [...lists.map((l) => l.segment), lists[0].segment];
      const read = await store.getSegmentLists('v1', wanted);
      expect(read.size).toBe(250);
      for (const l of lists) expect(read.get(l.segment)).toEqual(l.items);
    });
  });
}
