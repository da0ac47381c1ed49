import { describe, expect, it } from 'vitest';
import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import { MemoryNgItemStore } from '../../shared/adapters/memory/ng-item-store.js';
import { TtlCache } from '../../shared/domain/cache.js';
import { DependencyError } from '../../shared/domain/errors.js';
import type { NgItemStore } from '../../shared/ports/stores.js';
import { NgList } from '../../shared/use-cases/candidate-sources.js';
import { deleteNgItem, putNgItem } from '../../shared/use-cases/ng-items.js';
import { useDynalite } from '../helpers/dynalite.js';

/**
 * Wraps a store so that each allIds() reads the real store at once but answers only when the test
 * releases it: the deterministic form of "a PUT completes while a scan is in flight".
 */
function gatedScans(inner: NgItemStore) {
  const gates: (() => void)[] = [];
  let scans = 0;
  const store: NgItemStore = {
    put: (item) => inner.put(item),
    delete: (id) => inner.delete(id),
    list: (limit, cursor) => inner.list(limit, cursor),
    async allIds() {
      scans++;
      const ids = await inner.allIds();
      await new Promise<void>((release) => gates.push(release));
      return ids;
    },
  };
  return {
    store,
    scans: () => scans,
    /** Releases the oldest scan still waiting (after letting pending reads reach their gate). */
    async release() {
      for (let i = 0; i < 50 && gates.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      gates.shift()?.();
    },
  };
}

/** The race of issue 12 item 4 against any store: a scan reads, a PUT answers, then the scan returns. */
async function raceScanAgainstPut(inner: NgItemStore) {
  const gated = gatedScans(inner);
  const ngList = new NgList(gated.store, 30_000);
  const deps = { ngItems: gated.store, ngList };
  const during = ngList.ids(); // the scan reads the table before the PUT
  await new Promise((r) => setTimeout(r, 20));
  await putNgItem(deps, 'x1', undefined); // the PUT has answered
  await gated.release(); // the old scan returns its (old) list
  await gated.release(); // the reload started by the waiting request
  const waited = await during;
  const after = ngList.ids();
  await gated.release(); // only if a reload is needed
  return { waited: waited.ids, after: (await after).ids, scans: gated.scans() };
}

describe('NG list cache and invalidation', () => {
  it('never caches a list scanned before an NG item was added in this process', async () => {
    const { after } = await raceScanAgainstPut(new MemoryNgItemStore());
    expect(after.has('x1')).toBe(true);
  });

  it('makes a request waiting on a scan that began before the PUT read again', async () => {
    const { waited, scans } = await raceScanAgainstPut(new MemoryNgItemStore());
    expect(waited.has('x1')).toBe(true);
    expect(scans).toBe(2);
  });

  it('serves the last good NG list, marked stale, when the table starts failing', async () => {
    const inner = new MemoryNgItemStore();
    await inner.put({ itemId: 'a', createdAt: 0 });
    let fail = false;
    const store: NgItemStore = Object.assign(Object.create(inner), {
      allIds: () => (fail ? Promise.reject(new DependencyError('dynamodb', 'down')) : inner.allIds()),
    });
    const ngList = new NgList(store, 0);
    expect(await ngList.ids()).toEqual({ ids: new Set(['a']), stale: false });
    fail = true;
    expect(await ngList.ids()).toEqual({ ids: new Set(['a']), stale: true });
  });

  it('fails with a DependencyError when the table fails before any list was loaded', async () => {
    const store: NgItemStore = Object.assign(Object.create(new MemoryNgItemStore()), {
      allIds: () => Promise.reject(new DependencyError('dynamodb', 'down')),
    });
    await expect(new NgList(store, 30_000).ids()).rejects.toThrow(DependencyError);
  });

  it('keeps an item added in this process in the stale fallback when the table then fails', async () => {
    const inner = new MemoryNgItemStore();
    let fail = false;
    const store: NgItemStore = Object.assign(Object.create(inner), {
      allIds: () => (fail ? Promise.reject(new DependencyError('dynamodb', 'down')) : inner.allIds()),
      put: (item: Parameters<NgItemStore['put']>[0]) => inner.put(item),
    });
    const ngList = new NgList(store, 30_000);
    await ngList.ids();
    await putNgItem({ ngItems: store, ngList }, 'x1', undefined);
    fail = true;
    const { ids, stale } = await ngList.ids();
    expect(stale).toBe(true);
    expect(ids.has('x1')).toBe(true);
  });

  it('stops blocking a removed item in this process at once', async () => {
    const inner = new MemoryNgItemStore();
    const ngList = new NgList(inner, 30_000);
    await putNgItem({ ngItems: inner, ngList }, 'x1', undefined);
    expect((await ngList.ids()).ids.has('x1')).toBe(true);
    await deleteNgItem({ ngItems: inner, ngList }, 'x1');
    expect((await ngList.ids()).ids.has('x1')).toBe(false);
  });
});

describe('NG list race against DynamoDB (dynalite)', () => {
  const dynamo = useDynalite('ngrace');

  it('never serves an NG item once its PUT has answered, though a scan was in flight', async () => {
    const tableName = await dynamo.freshTable('ngItems');
    const store = new DynamoNgItemStore(dynamo.doc(), { tableName });
    await store.put({ itemId: 'old', createdAt: 0 });
    const { waited, after } = await raceScanAgainstPut(store);
    expect([waited.has('x1'), after.has('x1'), after.has('old')]).toEqual([true, true, true]);
  });
});

describe('TtlCache invalidation', () => {
  it('discards the loads in flight of every key on invalidate() without a key', async () => {
    const cache = new TtlCache<string, number>(60_000);
    let version = 1;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slowLoad = async () => {
      const v = version;
      await gate;
      return v;
    };
    const pending = [cache.get('a', slowLoad), cache.get('b', slowLoad)];
    version = 2;
    cache.invalidate();
    release();
    expect(await Promise.all(pending)).toEqual([2, 2]);
    expect([await cache.get('a', slowLoad), await cache.get('b', slowLoad)]).toEqual([2, 2]);
  });
});
