import { describe, expect, it } from 'vitest';
import { MemoryPipelineStateStore } from '../../shared/adapters/memory/pipeline-state-store.js';
import { MemoryRecommendationStore } from '../../shared/adapters/memory/recommendation-store.js';
import { VersionPointers } from '../../shared/use-cases/candidate-sources.js';
import { SESSION_NEIGHBOURS, StoredSessionNeighbours } from '../../shared/use-cases/session-source.js';

describe('StoredSessionNeighbours', () => {
  it('reads each published neighbour list once, then serves it from memory', async () => {
    const state = new MemoryPipelineStateStore();
    const store = new MemoryRecommendationStore();
    await store.putUserLists(SESSION_NEIGHBOURS, 'v1', [
      { userId: 'i1', items: [{ itemId: 'i2', score: 0.5 }] },
    ]);
    await state.setActiveVersion('session', 'v1', undefined);
    let reads = 0;
    const get = store.getUserList.bind(store);
    store.getUserList = async (...args) => {
      reads++;
      return get(...args);
    };
    const neighbours = new StoredSessionNeighbours(new VersionPointers(state, 60_000), store);
    const first = await neighbours.lists(['i1', 'unknown']);
    const second = await neighbours.lists(['i1', 'unknown']);
    expect(first.get('i1')).toEqual([{ itemId: 'i2', score: 0.5 }]);
    expect(second.get('i1')).toEqual([{ itemId: 'i2', score: 0.5 }]);
    expect(second.has('unknown')).toBe(false);
    expect(reads).toBe(2);
  });
});
