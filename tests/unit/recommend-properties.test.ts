import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DependencyError } from '../../shared/domain/errors.js';
import type { RecommendationRequest } from '../../shared/domain/recommend/request.js';
import type { CandidateSource } from '../../shared/ports/candidates.js';
import { recommend } from '../../shared/use-cases/recommend.js';
import { memoryDeps } from '../helpers/request-path.js';

const ALGOS = ['cf', 'fm', 'personalize', 'session'] as const;

/** A random catalogue, popularity lists, arm candidates, NG list, excludes and failing sources. */
const scenario = fc
  .record({
    catalogue: fc.integer({ min: 1, max: 80 }),
    numResults: fc.integer({ min: 1, max: 40 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    ngShare: fc.double({ min: 0, max: 0.8, noNaN: true }),
    excludeCount: fc.integer({ min: 0, max: 10 }),
    failing: fc.subarray([...ALGOS]),
    segmentKnown: fc.boolean(),
  })
  .map((s) => {
    // deterministic pseudo-random choices from the seed, so shrinking stays meaningful
    let x = s.seed;
    const rnd = () => {
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      return x / 4294967296;
    };
    const ids = Array.from({ length: s.catalogue }, (_, i) => `it${i}`);
    const pick = (k: number) => ids.filter(() => rnd() < k / Math.max(1, ids.length));
    const ng = ids.filter(() => rnd() < s.ngShare);
    const exclude = pick(s.excludeCount).slice(0, 100);
    const scored = (list: string[]) =>
      list.map((itemId, i) => ({ itemId, score: 1 - i / (list.length + 1) }));
    const shuffled = (list: string[]) => [...list].sort(() => rnd() - 0.5);
    return {
      ...s,
      ids,
      ng,
      exclude,
      global: scored(shuffled(ids)),
      segment: scored(shuffled(ids).slice(0, Math.ceil(ids.length / 3))),
      arms: Object.fromEntries(
        ALGOS.map((a) => [a, scored(shuffled(ids).slice(0, Math.floor(rnd() * ids.length)))]),
      ),
    };
  });

describe('recommend properties (fast-check)', () => {
  it('never returns an NG or excluded item, never a duplicate, and is full when enough items are allowed', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const failing = (source: string): CandidateSource => ({
          source,
          candidates: async () => {
            throw new DependencyError(source, 'injected failure');
          },
        });
        const sources: Record<string, CandidateSource> = {};
        for (const a of ALGOS) {
          sources[a] = s.failing.includes(a)
            ? failing(a)
            : { source: a, candidates: async (_u, n) => s.arms[a].slice(0, n) };
        }
        const { deps } = await memoryDeps({
          segmentColumns: ['GENDER'],
          segmentLists: [
            { segment: 'global', items: s.global },
            { segment: 'u:GENDER=f', items: s.segment },
          ],
          profiles: s.segmentKnown ? { 'user-1': { GENDER: 'f' } } : {},
          ng: s.ng,
          sources,
        });
        const req: RecommendationRequest = {
          userId: 'user-1',
          numResults: s.numResults,
          exclude: s.exclude,
          attributes: {},
        };
        const { response } = await recommend(deps, req);
        const ids = response.itemList.map((i) => i.itemId);
        const forbidden = new Set([...s.ng, ...s.exclude]);
        expect(ids.filter((id) => forbidden.has(id))).toEqual([]);
        expect(new Set(ids).size).toBe(ids.length);
        const allowed = s.ids.filter((id) => !forbidden.has(id)).length;
        expect(ids.length).toBe(Math.min(s.numResults, allowed));
        if (s.failing.includes(response.arm as (typeof ALGOS)[number])) expect(response.degraded).toBe(true);
      }),
      { numRuns: 200, seed: 20261128 },
    );
  });
});
