import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../shared/domain/errors.js';
import type { PipelineStateStore } from '../../shared/ports/stores.js';

/** The PipelineStateStore contract; `factory` returns an empty store for each test. */
export function describePipelineStateStore(name: string, factory: () => Promise<PipelineStateStore>): void {
  describe(`PipelineStateStore contract (${name})`, () => {
    it('has no active version before the first publish', async () => {
      const store = await factory();
      expect(await store.getActiveVersion('als')).toBeUndefined();
    });

    it('sets the first pointer when none is expected', async () => {
      const store = await factory();
      const before = Date.now();
      const pointer = await store.setActiveVersion('als', 'v1', undefined);
      expect(pointer).toMatchObject({ algorithm: 'als', version: 'v1' });
      expect(pointer.updatedAt).toBeGreaterThanOrEqual(before);
      expect(await store.getActiveVersion('als')).toEqual(pointer);
    });

    it('moves the pointer when the expected version is current', async () => {
      const store = await factory();
      await store.setActiveVersion('als', 'v1', undefined);
      await store.setActiveVersion('als', 'v2', 'v1');
      expect((await store.getActiveVersion('als'))?.version).toBe('v2');
    });

    it('throws ConflictError and keeps the pointer when the expected version is stale', async () => {
      const store = await factory();
      await store.setActiveVersion('als', 'v1', undefined);
      await store.setActiveVersion('als', 'v2', 'v1');
      await expect(store.setActiveVersion('als', 'v3', 'v1')).rejects.toBeInstanceOf(ConflictError);
      expect((await store.getActiveVersion('als'))?.version).toBe('v2');
    });

    it('throws ConflictError when expecting no pointer but one exists', async () => {
      const store = await factory();
      await store.setActiveVersion('als', 'v1', undefined);
      await expect(store.setActiveVersion('als', 'v2', undefined)).rejects.toBeInstanceOf(ConflictError);
    });

    it('throws ConflictError when expecting a version but there is no pointer', async () => {
      const store = await factory();
      await expect(store.setActiveVersion('als', 'v2', 'v1')).rejects.toBeInstanceOf(ConflictError);
      expect(await store.getActiveVersion('als')).toBeUndefined();
    });

    it('lets exactly one of two racing publishers win', async () => {
      const store = await factory();
      await store.setActiveVersion('als', 'v1', undefined);
      const results = await Promise.allSettled([
        store.setActiveVersion('als', 'v2a', 'v1'),
        store.setActiveVersion('als', 'v2b', 'v1'),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(loser.reason).toBeInstanceOf(ConflictError);
    });

    it('keeps pointers of different algorithms apart', async () => {
      const store = await factory();
      await store.setActiveVersion('als', 'v1', undefined);
      await store.setActiveVersion('popularity', 'p7', undefined);
      expect((await store.getActiveVersion('als'))?.version).toBe('v1');
      expect((await store.getActiveVersion('popularity'))?.version).toBe('p7');
    });

    it('round-trips a JSON record', async () => {
      const store = await factory();
      const value = {
        runId: 'run-2026-01-01',
        metrics: { 'ndcg@10': 0.3125, 'recall@20': 0.41 },
        algorithms: ['als', 'popularity'],
        note: '',
        finished: true,
        parent: null,
      };
      await store.putRecord('last-run', value);
      expect(await store.getRecord('last-run')).toEqual(value);
    });

    it('returns undefined for a missing record', async () => {
      const store = await factory();
      expect(await store.getRecord('never-written')).toBeUndefined();
    });

    it('overwrites a record', async () => {
      const store = await factory();
      await store.putRecord('k', { n: 1 });
      await store.putRecord('k', { n: 2 });
      expect(await store.getRecord('k')).toEqual({ n: 2 });
    });
  });
}
