import { describe, expect, it } from 'vitest';
import { DependencyError, UnauthorizedError, ValidationError } from '../../shared/domain/errors.js';
import {
  parseRecommendationRequest,
  parseSessionRecommendationRequest,
} from '../../shared/domain/recommend/request.js';
import type { CandidateSource } from '../../shared/ports/candidates.js';
import { PrecomputedSource, VersionPointers } from '../../shared/use-cases/candidate-sources.js';
import { recommend } from '../../shared/use-cases/recommend.js';
import {
  publishSessionNeighbours,
  RecentEventsSessionSource,
  StoredSessionNeighbours,
} from '../../shared/use-cases/session-source.js';
import { items, memoryDeps, singleArm, viewed } from '../helpers/request-path.js';

const req = (userId: string, query: Record<string, string> = {}) =>
  parseRecommendationRequest(userId, query, 10);

const failing: CandidateSource = {
  source: 'personalize',
  candidates: async () => {
    throw new DependencyError('personalize', 'timed out');
  },
};

describe('recommend (request path use case)', () => {
  it('serves the arm candidates first, labelled with the arm source', async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      userLists: { cf: { u1: items('c', 30) } },
    });
    const { response } = await recommend(deps, req('u1'));
    expect(response.arm).toBe('cf');
    expect(response.itemList.map((i) => i.itemId)).toEqual(items('c', 10).map((i) => i.itemId));
    expect(response.itemList.every((i) => i.source === 'cf')).toBe(true);
    expect(response.degraded).toBe(false);
  });

  it('fills up from segment popularity when the arm has too few candidates', async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentColumns: ['GENDER'],
      segmentLists: [
        { segment: 'u:GENDER=f', items: items('f', 5) },
        { segment: 'global', items: items('g', 50) },
      ],
      profiles: { u1: { GENDER: 'f' } },
      userLists: { cf: { u1: items('c', 3) } },
    });
    const { response } = await recommend(deps, req('u1'));
    expect(response.itemList).toHaveLength(10);
    expect(response.itemList.map((i) => i.source)).toEqual([
      ...Array(3).fill('cf'),
      ...Array(5).fill('popularity:segment'),
      ...Array(2).fill('popularity:global'),
    ]);
  });

  it('falls back to segment popularity for an unknown user from query attributes', async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('fm'),
      segmentColumns: ['GENDER'],
      segmentLists: [
        { segment: 'u:GENDER=m', items: items('m', 20) },
        { segment: 'global', items: items('g', 50) },
      ],
    });
    const { response } = await recommend(deps, req('new-user', { GENDER: 'm' }));
    expect(response.itemList.every((i) => i.source === 'popularity:segment')).toBe(true);
    expect(response.itemList[0].itemId).toBe('m0');
  });

  it('falls back to global popularity for an unknown user without attributes', async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('fm'),
      segmentColumns: ['GENDER'],
      segmentLists: [
        { segment: 'u:GENDER=m', items: items('m', 20) },
        { segment: 'global', items: items('g', 50) },
      ],
    });
    const { response } = await recommend(deps, req('new-user'));
    expect(response.itemList.every((i) => i.source === 'popularity:global')).toBe(true);
  });

  it('never returns NG items, from the arm or from the fallback', async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      userLists: { cf: { u1: items('c', 5) } },
      ng: ['c0', 'c2', 'g0', 'g1'],
    });
    const { response } = await recommend(deps, req('u1'));
    const ids = response.itemList.map((i) => i.itemId);
    for (const ng of ['c0', 'c2', 'g0', 'g1']) expect(ids).not.toContain(ng);
    expect(ids).toHaveLength(10);
  });

  it("removes the request's excluded items", async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      userLists: { cf: { u1: items('c', 20) } },
    });
    const { response } = await recommend(deps, req('u1', { exclude: 'c1,c3' }));
    const ids = response.itemList.map((i) => i.itemId);
    expect(ids).not.toContain('c1');
    expect(ids).not.toContain('c3');
    expect(ids).toHaveLength(10);
  });

  it('never returns an item twice when arm and popularity overlap', async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [{ segment: 'global', items: items('x', 50) }],
      userLists: { cf: { u1: items('x', 4) } },
    });
    const { response } = await recommend(deps, req('u1'));
    const ids = response.itemList.map((i) => i.itemId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(10);
  });

  it('answers from popularity with degraded: true when the arm fails', async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('personalize'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      sources: { personalize: failing },
    });
    const { response, diagnostics } = await recommend(deps, req('u1'));
    expect(response.degraded).toBe(true);
    expect(response.itemList).toHaveLength(10);
    expect(diagnostics.failures).toContain('personalize');
  });

  it('serves the last good popularity list when the store starts failing', async () => {
    const { deps, popularityStore } = await memoryDeps({
      experiments: singleArm('fm'),
      segmentColumns: ['GENDER'],
      segmentLists: [
        { segment: 'u:GENDER=f', items: items('f', 50) },
        { segment: 'global', items: items('g', 50) },
      ],
    });
    await recommend(deps, req('u1')); // caches the global list only
    let calls = 0;
    popularityStore.getSegmentLists = async () => {
      calls++;
      throw new DependencyError('dynamodb', 'down');
    };
    // a user of segment GENDER=f needs a list that is not cached yet: the store is asked and fails
    const { response, diagnostics } = await recommend(deps, req('u2', { numResults: '5', GENDER: 'f' }));
    expect(calls).toBe(1);
    expect(response.degraded).toBe(true);
    expect(diagnostics.failures).toContain('popularity');
    expect(response.itemList.map((i) => i.itemId)).toEqual(['g0', 'g1', 'g2', 'g3', 'g4']);
  });

  it('answers 503 when the NG list was never loaded and its table fails', async () => {
    const { deps, ngItems } = await memoryDeps({
      experiments: singleArm('fm'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
    });
    ngItems.allIds = async () => {
      throw new DependencyError('dynamodb', 'down');
    };
    await expect(recommend(deps, req('u1'))).rejects.toThrow(DependencyError);
  });

  it('serves with the stale NG list and degraded: true when the NG table starts failing', async () => {
    const { deps, ngItems } = await memoryDeps({
      experiments: singleArm('fm'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      ng: ['g0', 'g3'],
      ngTtlMs: 0, // every request reads the NG table again
    });
    await recommend(deps, req('u1'));
    ngItems.allIds = async () => {
      throw new DependencyError('dynamodb', 'down');
    };
    const { response, diagnostics } = await recommend(deps, req('u2', { numResults: '5' }));
    expect(response.degraded).toBe(true);
    expect(diagnostics.failures).toContain('ng-items');
    expect(response.itemList.map((i) => i.itemId)).toEqual(['g1', 'g2', 'g4', 'g5', 'g6']);
  });

  it('assigns the same user to the same arm every time', async () => {
    const { deps } = await memoryDeps({ segmentLists: [{ segment: 'global', items: items('g', 50) }] });
    const arms = new Set<string>();
    for (let i = 0; i < 5; i++) arms.add((await recommend(deps, req('stable-user'))).response.arm);
    expect(arms.size).toBe(1);
  });

  it('spreads users over every arm of the default experiment', async () => {
    const { deps } = await memoryDeps({ segmentLists: [{ segment: 'global', items: items('g', 50) }] });
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const arm = (await recommend(deps, req(`user-${i}`))).response.arm;
      counts.set(arm, (counts.get(arm) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['cf', 'fm', 'personalize', 'session']);
    for (const c of counts.values()) expect(c).toBeGreaterThan(400);
  });

  it('rejects an unknown slot naming the parameter', async () => {
    const { deps } = await memoryDeps({ segmentLists: [{ segment: 'global', items: items('g', 5) }] });
    await expect(recommend(deps, req('u1', { slot: 'checkout' }))).rejects.toThrow(ValidationError);
  });

  it('honours the arm override only with the admin token', async () => {
    const { deps } = await memoryDeps({ segmentLists: [{ segment: 'global', items: items('g', 5) }] });
    await expect(recommend(deps, req('u1', { arm: 'fm' }))).rejects.toThrow(UnauthorizedError);
    const { response } = await recommend(deps, req('u1', { arm: 'fm' }), { adminAuthorized: true });
    expect(response.arm).toBe('fm');
  });
});

describe('precomputed candidates', () => {
  it('reads a published list from the store once, then from memory', async () => {
    const { deps, recommendations } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      userLists: { cf: { u1: items('c', 30) } },
    });
    let reads = 0;
    const get = recommendations.getUserList.bind(recommendations);
    recommendations.getUserList = async (...args) => {
      reads++;
      return get(...args);
    };
    await recommend(deps, req('u1'));
    const { response } = await recommend(deps, req('u1'));
    expect(reads).toBe(1);
    expect(response.itemList[0].source).toBe('cf');
  });

  it('reads the new version after the pointer moves', async () => {
    const { deps, recommendations, state } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      userLists: { cf: { u1: items('c', 30) } },
      pointerTtlMs: 0, // re-read the pointer on every request
    });
    await recommend(deps, req('u1'));
    await recommendations.putUserLists('cf', 'v2', [{ userId: 'u1', items: items('n', 30) }]);
    await state.setActiveVersion('cf', 'v2', 'v1');
    const { response } = await recommend(deps, req('u1'));
    expect(response.itemList[0].itemId).toBe('n0');
  });
});

describe('repeat policy and the popularity fill', () => {
  const visitor = { userId: 'u1', sessionId: 's1' };
  const global = { segment: 'global', items: items('g', 50) };

  it('never fills with an item the visitor viewed in the current session', async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [global],
      events: [viewed('g0', 1000, visitor), viewed('g2', 2000, visitor)],
    });
    const { response } = await recommend(deps, req('u1'));
    const ids = response.itemList.map((i) => i.itemId);
    expect(ids).toHaveLength(10);
    expect(ids).not.toContain('g0');
    expect(ids).not.toContain('g2');
    expect(ids[0]).toBe('g1');
  });

  it('keeps a filled list in descending score order', async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentColumns: ['GENDER'],
      segmentLists: [{ segment: 'u:GENDER=f', items: items('f', 3, 40) }, global],
      profiles: { u1: { GENDER: 'f' } },
      userLists: {
        cf: {
          u1: [
            { itemId: 'c0', score: 0.02 },
            { itemId: 'c1', score: 0.01 },
          ],
        },
      },
    });
    const { response } = await recommend(deps, req('u1'));
    const scores = response.itemList.map((i) => i.score);
    expect(response.itemList.map((i) => i.source)).toEqual([
      'cf',
      'cf',
      ...Array(3).fill('popularity:segment'),
      ...Array(5).fill('popularity:global'),
    ]);
    // each source is scaled by its best (the arm's 0.02 → 1), then later sources are mapped below the last
    expect(scores.slice(0, 2)).toEqual([1, 0.5]);
    for (let k = 1; k < scores.length; k++) expect(scores[k]).toBeLessThanOrEqual(scores[k - 1]);
  });

  // u1's cf list is c0..c4 and the session viewed `viewedItems` (one second apart)
  const cfUserWhoViewed = (viewedItems: readonly string[]) =>
    memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [global],
      userLists: { cf: { u1: items('c', 5) } },
      events: viewedItems.map((itemId, i) => viewed(itemId, 1000 * (i + 1), visitor)),
    });

  it('shows no item of the session anywhere under repeat=exclude, the arm included', async () => {
    const { deps } = await cfUserWhoViewed(['c0', 'g0']);
    const { response } = await recommend(deps, req('u1', { repeat: 'exclude' }));
    const ids = response.itemList.map((i) => i.itemId);
    expect(ids).toEqual(['c1', 'c2', 'c3', 'c4', 'g1', 'g2', 'g3', 'g4', 'g5', 'g6']);
  });

  it("lets the arm's own candidates show session items under repeat=allow", async () => {
    const { deps } = await cfUserWhoViewed(['c0', 'g0']);
    const { response } = await recommend(deps, req('u1', { repeat: 'allow' }));
    const ids = response.itemList.map((i) => i.itemId);
    expect(ids.slice(0, 5)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(ids).not.toContain('g0');
  });

  it("applies the slot's repeat policy when the request sets none", async () => {
    const experiments = singleArm('cf');
    const { deps } = await memoryDeps({
      experiments: { ...experiments, slots: { home: { ...experiments.slots.home, repeat: 'exclude' } } },
      segmentLists: [global],
      userLists: { cf: { u1: items('c', 5) } },
      events: [viewed('c0', 1000, visitor)],
    });
    expect((await recommend(deps, req('u1'))).response.itemList.map((i) => i.itemId)).not.toContain('c0');
    expect(
      (await recommend(deps, req('u1', { repeat: 'allow' }))).response.itemList.map((i) => i.itemId),
    ).toContain('c0');
  });

  it('counts only the newest session of a user as the session', async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [global],
      events: [viewed('g0', 1000, { userId: 'u1', sessionId: 'old' }), viewed('g1', 2000, visitor)],
    });
    const ids = (await recommend(deps, req('u1', { repeat: 'exclude' }))).response.itemList.map(
      (i) => i.itemId,
    );
    expect(ids[0]).toBe('g0');
    expect(ids).not.toContain('g1');
  });

  it('rejects a repeat value other than allow or exclude, naming the parameter', () => {
    expect(() => req('u1', { repeat: 'never' })).toThrow(
      expect.objectContaining({ parameter: 'repeat', message: 'repeat must be one of allow, exclude' }),
    );
  });
});

describe('anonymous sessions', () => {
  const sessionReq = (sessionId: string, query: Record<string, string> = {}) =>
    parseSessionRecommendationRequest(sessionId, query, 10);

  it("answers an anonymous session from that session's events, under its sessionId", async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      events: [viewed('g0', 1000, { sessionId: 'anon-1' }), viewed('g1', 1000, { sessionId: 'other' })],
    });
    const { response } = await recommend(deps, sessionReq('anon-1', { repeat: 'exclude' }));
    expect(response).toMatchObject({ sessionId: 'anon-1', userId: 'anon-1' });
    expect(response.itemList.map((i) => i.itemId).slice(0, 2)).toEqual(['g1', 'g2']);
  });

  it('serves the user a session belongs to once it carries a userId', async () => {
    const { deps } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      userLists: { cf: { u5: items('c', 20) } },
      events: [
        viewed('c0', 1000, { sessionId: 's5' }),
        viewed('c1', 2000, { userId: 'u5', sessionId: 's5' }),
      ],
    });
    const { response } = await recommend(deps, sessionReq('s5', { repeat: 'exclude' }));
    expect(response).toMatchObject({ sessionId: 's5', userId: 'u5', arm: 'cf' });
    expect(response.itemList.map((i) => i.itemId).slice(0, 3)).toEqual(['c2', 'c3', 'c4']);
  });

  it("counts the client-held items= as the session's newest items, and stores none of them", async () => {
    const { deps, events } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      events: [viewed('g0', 1000, { sessionId: 'anon-2' })],
    });
    const { response } = await recommend(deps, sessionReq('anon-2', { repeat: 'exclude', items: 'g1,g3' }));
    expect(response.itemList.map((i) => i.itemId).slice(0, 3)).toEqual(['g2', 'g4', 'g5']);
    expect((await events.sessionEvents('anon-2', 10)).map((e) => e.itemId)).toEqual(['g0']);
  });

  it("scores the client-held items with the session arm's neighbour lists, an unknown id as nothing", async () => {
    const { deps, state, recommendations, events } = await memoryDeps({
      experiments: singleArm('session'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
    });
    await publishSessionNeighbours(recommendations, 'v1', [{ userId: 'x1', items: items('n', 3) }]);
    await state.setActiveVersion('session', 'v1', undefined);
    const pointers = new VersionPointers(state, 60_000);
    const precomputed = new PrecomputedSource('session', 'session', pointers, recommendations);
    const neighbours = new StoredSessionNeighbours(pointers, recommendations);
    const session = new RecentEventsSessionSource('session', precomputed, events, {
      recentLimit: 10,
      neighbours,
    });
    const served = (query: Record<string, string>) =>
      recommend({ ...deps, sources: { session } }, sessionReq('anon-3', query)).then((r) =>
        r.response.itemList.map((i) => i.itemId),
      );
    // an anonymous session with no stored events: popularity until the client names items
    expect((await served({})).slice(0, 3)).toEqual(['g0', 'g1', 'g2']);
    expect((await served({ items: 'x1' })).slice(0, 4)).toEqual(['n0', 'n1', 'n2', 'g0']);
    // an id no model knows is taken without a 400 and scores nothing
    expect(await served({ items: 'not-in-the-catalog' })).toEqual(await served({}));
  });

  it('takes items= on the session route only, at most 50 well-formed ids, naming the parameter', () => {
    expect(sessionReq('s1', { items: 'a,b' }).recentItems).toEqual(['a', 'b']);
    expect(() => req('u1', { items: 'a' })).toThrow(expect.objectContaining({ parameter: 'items' }));
    const many = Array.from({ length: 51 }, (_, k) => `i${k}`).join(',');
    expect(() => sessionReq('s1', { items: many })).toThrow(
      expect.objectContaining({ parameter: 'items', message: 'items accepts at most 50 item ids, got 51' }),
    );
    expect(() => sessionReq('s1', { items: 'a,\u0001' })).toThrow(
      expect.objectContaining({ parameter: 'items' }),
    );
  });

  it('reads neither a profile nor a per-user list for a session no userId has claimed', async () => {
    const { deps, profiles, recommendations, events } = await memoryDeps({
      experiments: singleArm('cf'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      // a per-user list under the sessionId's string must not answer an anonymous visitor
      userLists: { cf: { 'anon-2': items('c', 20), u6: items('u', 20) } },
      events: [viewed('g0', 1000, { sessionId: 'anon-2' }), viewed('g1', 1000, { sessionId: 's6' })],
    });
    const reads: string[] = [];
    const getProfile = profiles.getProfile.bind(profiles);
    profiles.getProfile = (id) => {
      reads.push(`profile ${id}`);
      return getProfile(id);
    };
    const getUserList = recommendations.getUserList.bind(recommendations);
    recommendations.getUserList = (a, v, id) => {
      reads.push(`list ${id}`);
      return getUserList(a, v, id);
    };
    const { response } = await recommend(deps, sessionReq('anon-2', { repeat: 'exclude' }));
    expect(response.itemList.map((i) => i.source)).toEqual(Array(10).fill('popularity:global'));
    expect(reads).toEqual([]);
    // once a userId arrives the user's profile and list are read as for any user
    await events.putEvents([viewed('g2', 2000, { userId: 'u6', sessionId: 's6' })]);
    expect((await recommend(deps, sessionReq('s6'))).response.itemList[0].source).toBe('cf');
    expect(reads).toEqual(['profile u6', 'list u6']);
  });
});
