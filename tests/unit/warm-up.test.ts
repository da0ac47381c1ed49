import { describe, expect, it } from 'vitest';
import { parseRecommendationRequest } from '../../shared/domain/recommend/request.js';
import { PrecomputedSource, VersionPointers } from '../../shared/use-cases/candidate-sources.js';
import { DatasetColumnsSource } from '../../shared/use-cases/catalog.js';
import { recommend } from '../../shared/use-cases/recommend.js';
import { warmRequestCaches } from '../../shared/use-cases/warm-up.js';
import { items, memoryDeps, singleArm } from '../helpers/request-path.js';

/** The request-path deps over in-memory stores, with the shared-data reads (NG, state, popularity) logged. */
async function shop() {
  const m = await memoryDeps({
    segmentLists: [{ segment: 'global', items: items('g', 50) }],
    userLists: { cf: { u1: items('c', 5) } },
    ng: ['g0'],
    experiments: singleArm('cf'),
    catalog: [{ ids: ['g0', 'g1'], columns: [['CATEGORY', ['toys', 'books']]] }],
  });
  const reads: string[] = [];
  const log = <T extends object>(store: T, name: string, methods: (keyof T & string)[]) => {
    for (const method of methods) {
      const real = (store[method] as (...args: unknown[]) => unknown).bind(store);
      Object.defineProperty(store, method, {
        value: (...args: unknown[]) => {
          reads.push(`${name}.${method}`);
          return real(...args);
        },
      });
    }
  };
  log(m.ngItems, 'ng', ['allIds']);
  log(m.state, 'state', ['getActiveVersion', 'getRecord']);
  log(m.popularityStore, 'popularity', ['getSegmentLists']);
  const pointers = new VersionPointers(m.state, 60_000);
  const deps = { ...m.deps, sources: { cf: new PrecomputedSource('cf', 'cf', pointers, m.recommendations) } };
  const catalogs = m.deps.catalogs;
  if (!catalogs) throw new Error('memoryDeps gives the item catalogue');
  return { deps, pointers, catalogs, columns: new DatasetColumnsSource(m.state, 60_000), reads };
}

describe('warming the request caches at init', () => {
  it('leaves the first request no NG, pointer or popularity read of its own', async () => {
    const cold = await shop();
    const request = parseRecommendationRequest('u1', { numResults: '20' }, 20);
    const coldAnswer = await recommend(cold.deps, request);
    expect(cold.reads).toEqual(expect.arrayContaining(['ng.allIds', 'popularity.getSegmentLists']));

    const warm = await shop();
    const { pointers, catalogs, columns } = warm;
    await warmRequestCaches({ ...warm.deps, pointers, catalogs, columns }, ['cf']);
    expect(warm.reads).toEqual(expect.arrayContaining(['ng.allIds', 'popularity.getSegmentLists']));
    warm.reads.length = 0;
    const warmAnswer = await recommend(warm.deps, request);
    expect(warm.reads).toEqual([]);
    const ids = (a: typeof warmAnswer) => a.response.itemList.map((i) => i.itemId);
    expect(ids(warmAnswer)).toEqual(ids(coldAnswer));
    expect(ids(warmAnswer)).not.toContain('g0');
  });

  it('settles without throwing when the stores fail, leaving the loads to the requests', async () => {
    const { deps, pointers, catalogs, columns } = await shop();
    const failing = {
      ...deps,
      ngList: { ids: () => Promise.reject(new Error('ng table down')) },
      popularity: {
        active: () => Promise.reject(new Error('state table down')),
        segmentLists: deps.popularity.segmentLists.bind(deps.popularity),
      },
    };
    await expect(
      warmRequestCaches({ ...failing, pointers, catalogs, columns }, ['cf']),
    ).resolves.toBeUndefined();
  });
});
