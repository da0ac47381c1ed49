import { describe, expect, it, vi } from 'vitest';
import { makeDynamoClients } from '../../shared/adapters/dynamodb/clients.js';
import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import { lazyEventTracker } from '../../shared/adapters/personalize/lazy-event-tracker.js';
import { MemoryEventStore } from '../../shared/adapters/memory/event-store.js';
import { MemoryPopularityStore } from '../../shared/adapters/memory/popularity-store.js';
import { MemoryUserProfileStore } from '../../shared/adapters/memory/user-profile-store.js';
import { TtlCache } from '../../shared/domain/cache.js';
import { DependencyError } from '../../shared/domain/errors.js';
import { DEFAULT_EVENT_TYPE_MAPPING } from '../../shared/domain/events/events.js';
import { parseRecommendationRequest } from '../../shared/domain/recommend/request.js';
import type { CandidateSource } from '../../shared/ports/candidates.js';
import { CachedProfiles } from '../../shared/use-cases/cached-profiles.js';
import { ingestEvents } from '../../shared/use-cases/events.js';
import { CachedRecentEvents, RecentEventsSessionSource } from '../../shared/use-cases/session-source.js';
import { PopularitySource } from '../../shared/use-cases/popularity-source.js';
import { recommend } from '../../shared/use-cases/recommend.js';
import { startFreezableProxy } from '../helpers/freezable-proxy.js';
import { items, memoryDeps, singleArm } from '../helpers/request-path.js';

const req = (userId: string) => parseRecommendationRequest(userId, { numResults: '5' }, 10);
/** A promise that never settles: a dependency that does not answer. */
const never = <T>() => new Promise<T>(() => undefined);

describe('slow dependencies on the request path', () => {
  it('answers a slow load from the last good value after the deadline, then refreshes', async () => {
    const cache = new TtlCache<string, number>(0);
    await cache.get('k', async () => 1);
    let finish: (v: number) => void = () => undefined;
    const slow = new Promise<number>((resolve) => {
      finish = resolve;
    });
    expect(await cache.read('k', () => slow, 20, 'dep')).toEqual({ value: 1, stale: true });
    finish(2);
    await slow;
    expect(cache.getStale('k')).toBe(2);
  });

  it('waits for a slow first load when there is no value to fall back to', async () => {
    const cache = new TtlCache<string, number>(60_000);
    const slow = new Promise<number>((resolve) => setTimeout(() => resolve(7), 60));
    expect(await cache.read('k', () => slow, 10, 'dep')).toEqual({ value: 7, stale: false });
  });

  it('serves the stale NG list with degraded: true when the NG table stops answering', async () => {
    const { deps, ngItems } = await memoryDeps({
      experiments: singleArm('fm'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      ng: ['g0'],
      ngTtlMs: 0,
    });
    await recommend(deps, req('u1'));
    ngItems.allIds = never;
    const { response, diagnostics } = await recommend({ ...deps, budgetMs: 30 }, req('u1'));
    expect(response.degraded).toBe(true);
    expect(diagnostics.failures).toContain('ng-items');
    expect(response.itemList.map((i) => i.itemId)).toEqual(['g1', 'g2', 'g3', 'g4', 'g5']);
  });

  it('gives up an arm that does not answer within the budget and fills from popularity', async () => {
    const hanging: CandidateSource = { source: 'personalize', candidates: never };
    const { deps } = await memoryDeps({
      experiments: singleArm('personalize'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
      sources: { personalize: hanging },
    });
    const { response, diagnostics } = await recommend({ ...deps, budgetMs: 30 }, req('u1'));
    expect([response.degraded, response.itemList.length]).toEqual([true, 5]);
    expect(diagnostics.failures).toContain('personalize');
  });

  it('serves the last popularity pointer when the state table stops answering', async () => {
    const { deps, state } = await memoryDeps({
      experiments: singleArm('fm'),
      segmentLists: [{ segment: 'global', items: items('g', 50) }],
    });
    const store = new MemoryPopularityStore();
    await store.putSegmentLists('p1', [{ segment: 'global', items: items('g', 50) }]);
    const popularity = new PopularitySource(state, store, 0); // the pointer is read on every request
    await recommend({ ...deps, popularity }, req('u1'));
    state.getActiveVersion = never;
    const { response, diagnostics } = await recommend({ ...deps, popularity, budgetMs: 30 }, req('u2'));
    expect([response.degraded, response.itemList.length]).toEqual([true, 5]);
    expect(diagnostics.failures).toContain('popularity-pointer');
  });
});

describe('the session arm when the events table is slow', () => {
  it('serves the precomputed session list when recent events do not answer in time', {
    timeout: 5_000,
  }, async () => {
    const precomputed: CandidateSource = { source: 'session', candidates: async (_u, n) => items('s', n) };
    const events = new CachedRecentEvents(
      { recentEvents: never, sessionEvents: never },
      500,
      100,
      Date.now,
      20,
    );
    const source = new RecentEventsSessionSource('session', precomputed, events, { recentLimit: 10 });
    expect((await source.candidates('u1', 3)).map((i) => i.itemId)).toEqual(['s0', 's1', 's2']);
  });
});

describe('profiles when the users table is slow or failing', () => {
  async function expiredProfile() {
    const inner = new MemoryUserProfileStore();
    await inner.putProfiles([{ userId: 'u1', attributes: { GENDER: 'f' } }]);
    let now = 0;
    const cached = new CachedProfiles(inner, 1000, 10, () => now, 20);
    await cached.getProfile('u1');
    now = 5000; // expired
    return { inner, cached };
  }

  it('answers an expired profile when the users table stops answering', { timeout: 5_000 }, async () => {
    const { inner, cached } = await expiredProfile();
    inner.getProfile = never;
    expect(await cached.getProfile('u1')).toEqual({ GENDER: 'f' });
  });

  it('answers an expired profile when the users table fails', async () => {
    const { inner, cached } = await expiredProfile();
    inner.getProfile = () => Promise.reject(new DependencyError('dynamodb', 'down'));
    expect(await cached.getProfile('u1')).toEqual({ GENDER: 'f' });
  });
});

describe('DynamoDB client deadlines', () => {
  it('fails a call with a TimeoutError when the endpoint accepts connections but never answers', {
    timeout: 10_000,
  }, async () => {
    const frozen = await startFreezableProxy(); // no upstream: frozen for good
    const { client, doc } = makeDynamoClients(frozen.endpoint, 'us-east-1', {
      timeoutMs: 100,
      maxAttempts: 2,
    });
    try {
      const store = new DynamoNgItemStore(doc, { tableName: 'osusume-frozen-ngItems' });
      const err = await store.put({ itemId: 'x', createdAt: 0 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DependencyError);
      expect((err as { cause?: { name?: string } }).cause?.name).toBe('TimeoutError');
    } finally {
      client.destroy();
      await frozen.close();
    }
  });
});

describe('Personalize PutEvents deadline', () => {
  it('stores the events and answers forwarded: false when PutEvents never answers', {
    timeout: 10_000,
  }, async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    const frozen = await startFreezableProxy();
    // the SDK's service-specific endpoint variable: PutEvents goes to a socket that never answers
    vi.stubEnv('AWS_ENDPOINT_URL_PERSONALIZE_EVENTS', frozen.endpoint);
    try {
      const events = new MemoryEventStore();
      const tracker = lazyEventTracker('tracker', 'us-east-1', { timeoutMs: 100, maxAttempts: 2 });
      const now = Date.now();
      const body = {
        userId: 'u1',
        sessionId: 's1',
        eventList: [{ eventId: 'pe-1', eventType: 'view', itemId: 'i1', sentAt: Math.floor(now / 1000) }],
      };
      const deps = {
        events,
        eventTracker: tracker,
        eventTypeMapping: DEFAULT_EVENT_TYPE_MAPPING,
        maxSkewMs: 300_000,
        retentionMs: 86_400_000,
      };
      const result = await ingestEvents(deps, body, now);
      expect([result.stored, result.forwarded]).toEqual([1, false]);
    } finally {
      vi.unstubAllEnvs();
      await frozen.close();
    }
  });
});
