import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../shared/adapters/memory/event-store.js';
import { MemoryPipelineStateStore } from '../../shared/adapters/memory/pipeline-state-store.js';
import { MemoryRecommendationStore } from '../../shared/adapters/memory/recommendation-store.js';
import { MemoryUserProfileStore } from '../../shared/adapters/memory/user-profile-store.js';
import { LruCache } from '../../shared/domain/cache.js';
import type { StoredEvent } from '../../shared/domain/events/events.js';
import { CachedProfiles } from '../../shared/use-cases/cached-profiles.js';
import { PrecomputedSource, VersionPointers } from '../../shared/use-cases/candidate-sources.js';
import { CachedRecentEvents } from '../../shared/use-cases/session-source.js';

/** Wraps `obj[method]` to count calls, delegating to the real implementation. */
function countCalls<T extends object, K extends keyof T>(obj: T, method: K): () => number {
  let calls = 0;
  const real = (obj[method] as (...a: unknown[]) => unknown).bind(obj);
  (obj as Record<K, unknown>)[method] = (...args: unknown[]) => {
    calls++;
    return real(...args);
  };
  return () => calls;
}

function event(i: number, userId = 'u1'): StoredEvent {
  return {
    eventId: `e${i}`,
    userId,
    sessionId: 's',
    eventType: 'view',
    rawEventType: 'view',
    itemId: `i${i}`,
    sentAt: Date.UTC(2026, 10, 1) + i * 1000,
  };
}

describe('LruCache.getOrLoad', () => {
  it('shares one load among concurrent misses of a key and caches its value', async () => {
    const cache = new LruCache<string, number>(10);
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      return 42;
    };
    const values = await Promise.all([cache.getOrLoad('k', load), cache.getOrLoad('k', load)]);
    expect(values).toEqual([42, 42]);
    expect(await cache.getOrLoad('k', load)).toBe(42);
    expect(loads).toBe(1);
  });

  it('evicts the least recently read entry when full and keeps a cached null', () => {
    const cache = new LruCache<string, number | null>(2);
    cache.set('a', 1);
    cache.set('b', null);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.size]).toEqual([1, undefined, 3, 2]);
    cache.set('d', 4);
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([undefined, 3, 4]);
    const absent = new LruCache<string, number | null>(2);
    absent.set('x', null);
    expect(absent.get('x')).toBeNull();
  });

  it('does not cache a failed load, so the next call retries', async () => {
    const cache = new LruCache<string, number>(10);
    await expect(cache.getOrLoad('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.getOrLoad('k', async () => 7)).toBe(7);
  });
});

describe('request-path read coalescing', () => {
  it('reads a precomputed list once for concurrent requests of a new user', async () => {
    const state = new MemoryPipelineStateStore();
    await state.setActiveVersion('cf', 'v1', undefined);
    const store = new MemoryRecommendationStore();
    await store.putUserLists('cf', 'v1', [{ userId: 'u1', items: [{ itemId: 'a', score: 1 }] }]);
    const reads = countCalls(store, 'getUserList');
    const source = new PrecomputedSource('cf', 'cf', new VersionPointers(state, 60_000), store);
    const lists = await Promise.all([source.candidates('u1', 5), source.candidates('u1', 5)]);
    expect(lists).toEqual([[{ itemId: 'a', score: 1 }], [{ itemId: 'a', score: 1 }]]);
    expect(reads()).toBe(1);
  });

  it('serves a cached list as fresh items, its first n, unchanged by what a caller did to an earlier answer', async () => {
    const state = new MemoryPipelineStateStore();
    await state.setActiveVersion('cf', 'v1', undefined);
    const store = new MemoryRecommendationStore();
    const items = [
      { itemId: 'a', score: 0.9 },
      { itemId: 'b', score: 0.5 },
      { itemId: 'c', score: 0.125 },
    ];
    await store.putUserLists('cf', 'v1', [
      { userId: 'u1', items },
      { userId: 'u2', items: [items[1]] },
    ]);
    const reads = countCalls(store, 'getUserList');
    const source = new PrecomputedSource('cf', 'cf', new VersionPointers(state, 60_000), store);
    const first = await source.candidates('u1', 2);
    expect(first).toEqual(items.slice(0, 2));
    first.length = 0;
    (first as { itemId: string }[]).push({ itemId: 'z' });
    expect(await source.candidates('u1', 10)).toEqual(items);
    expect(await source.candidates('u1', 0)).toEqual([]);
    expect(await source.candidates('u2', 5)).toEqual([items[1]]);
    expect(reads()).toBe(2);
  });

  it('reads a profile once for concurrent requests of a new user', async () => {
    const inner = new MemoryUserProfileStore();
    await inner.putProfiles([{ userId: 'u1', attributes: { GENDER: 'f' } }]);
    const reads = countCalls(inner, 'getProfile');
    const cached = new CachedProfiles(inner, 60_000);
    const got = await Promise.all([cached.getProfile('u1'), cached.getProfile('u1')]);
    expect(got).toEqual([{ GENDER: 'f' }, { GENDER: 'f' }]);
    expect(reads()).toBe(1);
  });
});

describe('CachedRecentEvents', () => {
  it('reuses a user recent events within the TTL', async () => {
    const inner = new MemoryEventStore();
    await inner.putEvents([event(1), event(2)]);
    const reads = countCalls(inner, 'recentEvents');
    const now = 0;
    const cached = new CachedRecentEvents(inner, 1000, 100, () => now);
    const first = await cached.recentEvents('u1', 10);
    expect(await cached.recentEvents('u1', 10)).toEqual(first);
    expect(reads()).toBe(1);
  });

  it('shows an event posted since once the TTL has passed', async () => {
    const inner = new MemoryEventStore();
    await inner.putEvents([event(1)]);
    let now = 0;
    const cached = new CachedRecentEvents(inner, 1000, 100, () => now);
    expect((await cached.recentEvents('u1', 10)).map((e) => e.itemId)).toEqual(['i1']);
    await inner.putEvents([event(2)]);
    now = 1001;
    expect((await cached.recentEvents('u1', 10)).map((e) => e.itemId)).toEqual(['i2', 'i1']);
  });

  it('shares one read among concurrent requests of a user', async () => {
    const inner = new MemoryEventStore();
    await inner.putEvents([event(1)]);
    const reads = countCalls(inner, 'recentEvents');
    const cached = new CachedRecentEvents(inner, 1000);
    await Promise.all([cached.recentEvents('u1', 10), cached.recentEvents('u1', 10)]);
    expect(reads()).toBe(1);
  });

  it('reads on every request when the TTL is 0', async () => {
    const inner = new MemoryEventStore();
    const reads = countCalls(inner, 'recentEvents');
    const cached = new CachedRecentEvents(inner, 0);
    await cached.recentEvents('u1', 10);
    await cached.recentEvents('u1', 10);
    expect(reads()).toBe(2);
  });

  it('keeps different users apart', async () => {
    const inner = new MemoryEventStore();
    await inner.putEvents([event(1, 'u1'), event(2, 'u2')]);
    const cached = new CachedRecentEvents(inner, 1000);
    expect((await cached.recentEvents('u1', 10)).map((e) => e.itemId)).toEqual(['i1']);
    expect((await cached.recentEvents('u2', 10)).map((e) => e.itemId)).toEqual(['i2']);
  });
});
