import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/domain/errors.js';
import { Rng } from '../../shared/domain/random.js';
import type { NgItemStore } from '../../shared/ports/stores.js';
import type { NgItem } from '../../shared/ports/types.js';

/** The NgItemStore contract; `factory` returns an empty store for each test. */
export function describeNgItemStore(name: string, factory: () => Promise<NgItemStore>): void {
  const ngItems = (n: number, rng = new Rng(31)): NgItem[] =>
    Array.from({ length: n }, (_, i) => ({
      itemId: `item-${i}-${rng.int(1_000_000)}`,
      createdAt: 1_700_000_000_000 + rng.int(1_000_000),
      ...(i % 3 === 0 ? {} : { reason: rng.next() < 0.5 ? 'out of stock' : 'banned' }),
    }));

  async function listAll(store: NgItemStore, limit: number): Promise<{ items: NgItem[]; pages: number }> {
    const items: NgItem[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list(limit, cursor);
      items.push(...page.items);
      cursor = page.next;
      pages++;
    } while (cursor !== undefined);
    return { items, pages };
  }

  const byId = (a: NgItem, b: NgItem) => (a.itemId < b.itemId ? -1 : 1);

  describe(`NgItemStore contract (${name})`, () => {
    it('lists a put item with its reason and creation time', async () => {
      const store = await factory();
      const item = { itemId: 'sku-1', reason: 'recalled', createdAt: 1_700_000_000_000 };
      await store.put(item);
      expect(await store.list(10)).toEqual({ items: [item] });
    });

    it('omits the reason when none was given', async () => {
      const store = await factory();
      await store.put({ itemId: 'sku-2', createdAt: 1 });
      expect((await store.list(10)).items[0]).toEqual({ itemId: 'sku-2', createdAt: 1 });
    });

    it('reports whether delete removed something', async () => {
      const store = await factory();
      await store.put({ itemId: 'sku-3', createdAt: 1 });
      expect(await store.delete('sku-3')).toBe(true);
      expect(await store.delete('sku-3')).toBe(false);
      expect(await store.allIds()).toEqual(new Set());
    });

    it('pages through every item exactly once, with no cursor on the last page', async () => {
      const store = await factory();
      const items = ngItems(23);
      for (const item of items) await store.put(item);
      const { items: listed, pages } = await listAll(store, 5);
      expect(pages).toBe(5);
      expect([...listed].sort(byId)).toEqual([...items].sort(byId));
    });

    it('returns no cursor when the last page is exactly full', async () => {
      const store = await factory();
      for (const item of ngItems(10)) await store.put(item);
      const { pages } = await listAll(store, 5);
      expect(pages).toBe(2);
    });

    it('returns an empty page for an empty list', async () => {
      const store = await factory();
      expect(await store.list(5)).toEqual({ items: [] });
    });

    it('continues from a cursor even after items before it were deleted', async () => {
      const store = await factory();
      const items = ngItems(9);
      for (const item of items) await store.put(item);
      const first = await store.list(4);
      for (const seen of first.items) await store.delete(seen.itemId);
      const rest: NgItem[] = [];
      for (let cursor = first.next; cursor !== undefined; ) {
        const page = await store.list(4, cursor);
        rest.push(...page.items);
        cursor = page.next;
      }
      const expected = items.filter((i) => !first.items.some((s) => s.itemId === i.itemId));
      expect([...rest].sort(byId)).toEqual(expected.sort(byId));
    });

    it('returns every id from allIds', async () => {
      const store = await factory();
      const items = ngItems(40);
      for (const item of items) await store.put(item);
      await store.delete(items[7].itemId);
      expect(await store.allIds()).toEqual(new Set(items.filter((_, i) => i !== 7).map((i) => i.itemId)));
    });

    it.each([
      ['not base64url', '!!!'],
      ['not JSON', Buffer.from('{itemId').toString('base64url')],
      ['the wrong shape', Buffer.from(JSON.stringify({ pk: 'x' })).toString('base64url')],
    ])('rejects a cursor that is %s with ValidationError on cursor', async (_, cursor) => {
      const store = await factory();
      await store.put({ itemId: 'sku-4', createdAt: 1 });
      const error = await store.list(5, cursor).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ message: 'invalid cursor', parameter: 'cursor' });
    });

    it('rejects a non-positive limit', async () => {
      const store = await factory();
      await expect(store.list(0)).rejects.toBeInstanceOf(ValidationError);
    });
  });
}
