import { PersonalizeEventsClient, PutEventsCommand } from '@aws-sdk/client-personalize-events';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../shared/adapters/memory/event-store.js';
import { PersonalizeEventTracker } from '../../shared/adapters/personalize/personalize-events.js';
import { DEFAULT_EVENT_TYPE_MAPPING, type StoredEvent } from '../../shared/domain/events/events.js';
import { DependencyError } from '../../shared/domain/errors.js';
import type { EventStore, EventTracker } from '../../shared/ports/events.js';
import { ingestEvents } from '../../shared/use-cases/events.js';
import { ImpressionRecorder, impressionOf, sampledImpression } from '../../shared/use-cases/impressions.js';
import type { RecommendResponse } from '../../shared/use-cases/recommend.js';
import { RecentEventsSessionSource, rerankWithRecent } from '../../shared/use-cases/session-source.js';

const NOW = Date.UTC(2026, 10, 28, 12);

function deps(events: EventStore, eventTracker?: EventTracker, errors: unknown[] = []) {
  return {
    events,
    eventTracker,
    eventTypeMapping: DEFAULT_EVENT_TYPE_MAPPING,
    maxSkewMs: 300_000,
    retentionMs: 90 * 86_400_000,
    onTrackerError: (err: unknown) => errors.push(err),
  };
}

const body = (ids: string[], extra: Record<string, unknown> = {}) => ({
  userId: 'u1',
  sessionId: 's1',
  eventList: ids.map((eventId) => ({
    eventId,
    eventType: 'cart',
    itemId: `i-${eventId}`,
    sentAt: NOW / 1000 - 5,
    ...extra,
  })),
});

describe('ingestEvents', () => {
  it('stores a new batch and reports no duplicates', async () => {
    const store = new MemoryEventStore();
    expect(await ingestEvents(deps(store), body(['a', 'b']), NOW)).toEqual({
      received: 2,
      stored: 2,
      duplicates: [],
    });
  });

  it('stores a resent eventId once', async () => {
    const store = new MemoryEventStore();
    await ingestEvents(deps(store), body(['a']), NOW);
    const again = await ingestEvents(deps(store), body(['a', 'b']), NOW);
    expect([again.stored, again.duplicates]).toEqual([1, ['a']]);
    expect((await store.eventsBetween(0, NOW * 2)).length).toBe(2);
  });

  it('stores nothing from a batch with one invalid event', async () => {
    const store = new MemoryEventStore();
    const bad = body(['a', 'b']);
    (bad.eventList[1] as Record<string, unknown>).itemId = '';
    await expect(ingestEvents(deps(store), bad, NOW)).rejects.toMatchObject({
      parameter: 'eventList[1].itemId',
    });
    expect(await store.eventsBetween(0, NOW * 2)).toEqual([]);
  });

  it('forwards only newly stored events to the tracker', async () => {
    const store = new MemoryEventStore();
    const sent: string[][] = [];
    const tracker: EventTracker = { track: async (b) => void sent.push(b.events.map((e) => e.eventId)) };
    await ingestEvents(deps(store, tracker), body(['a']), NOW);
    const r = await ingestEvents(deps(store, tracker), body(['a', 'b']), NOW);
    expect([sent, r.forwarded]).toEqual([[['a'], ['b']], true]);
  });

  it('keeps the stored events when the tracker fails, and reports the failure', async () => {
    const store = new MemoryEventStore();
    const errors: unknown[] = [];
    const tracker: EventTracker = {
      track: async () => {
        throw new DependencyError('personalize-events', 'down');
      },
    };
    const r = await ingestEvents(deps(store, tracker, errors), body(['a']), NOW);
    expect([r.stored, r.forwarded, errors.length]).toEqual([1, false, 1]);
    expect((await store.recentEvents('u1', 5)).map((e) => e.eventId)).toEqual(['a']);
  });
});

describe('PersonalizeEventTracker', () => {
  const event: StoredEvent = {
    eventId: 'e1',
    userId: 'u1',
    sessionId: 's1',
    eventType: 'purchase',
    rawEventType: 'buy',
    itemId: 'i1',
    sentAt: NOW,
    recommendationId: 'r1',
    properties: '{"price":100}',
  };

  it('sends PutEvents with the tracking id, session, the shop type name, sentAt as a Date and properties as JSON', async () => {
    const mock = mockClient(PersonalizeEventsClient);
    mock.on(PutEventsCommand).resolves({});
    const tracker = new PersonalizeEventTracker(new PersonalizeEventsClient({ region: 'ap-northeast-1' }), {
      trackingId: 'tracker-1',
    });
    await tracker.track({ userId: 'u1', sessionId: 's1', events: [event] });
    expect(mock.commandCalls(PutEventsCommand)[0].args[0].input).toEqual({
      trackingId: 'tracker-1',
      userId: 'u1',
      sessionId: 's1',
      eventList: [
        {
          eventId: 'e1',
          eventType: 'buy',
          itemId: 'i1',
          sentAt: new Date(NOW),
          recommendationId: 'r1',
          properties: '{"price":100}',
        },
      ],
    });
    mock.restore();
  });

  it('sends PutEvents without a userId for an anonymous visitor', async () => {
    const mock = mockClient(PersonalizeEventsClient);
    mock.on(PutEventsCommand).resolves({});
    const tracker = new PersonalizeEventTracker(new PersonalizeEventsClient({ region: 'ap-northeast-1' }), {
      trackingId: 'tracker-1',
    });
    const { userId: _, ...anonymous } = event;
    await tracker.track({ sessionId: 's1', events: [anonymous] });
    const input = mock.commandCalls(PutEventsCommand)[0].args[0].input;
    expect(input).toMatchObject({ trackingId: 'tracker-1', sessionId: 's1' });
    expect('userId' in input).toBe(false);
    mock.restore();
  });

  it('loads the SDK on the first tracked batch when built lazily', async () => {
    const { lazyEventTracker } = await import('../../shared/adapters/personalize/lazy-event-tracker.js');
    const mock = mockClient(PersonalizeEventsClient);
    mock.on(PutEventsCommand).resolves({});
    await lazyEventTracker('tracker-2', 'ap-northeast-1').track({
      userId: 'u1',
      sessionId: 's1',
      events: [event],
    });
    expect(mock.commandCalls(PutEventsCommand)[0].args[0].input.trackingId).toBe('tracker-2');
    mock.restore();
  });

  it('turns a PutEvents failure into a DependencyError', async () => {
    const mock = mockClient(PersonalizeEventsClient);
    mock.on(PutEventsCommand).rejects(new Error('throttled'));
    const tracker = new PersonalizeEventTracker(new PersonalizeEventsClient({ region: 'ap-northeast-1' }), {
      trackingId: 't',
    });
    await expect(tracker.track({ userId: 'u1', sessionId: 's1', events: [event] })).rejects.toBeInstanceOf(
      DependencyError,
    );
    mock.restore();
  });
});

const response = (id = 'rec-1'): RecommendResponse => ({
  recommendationId: id,
  userId: 'u1',
  slot: 'home',
  experiment: 'x',
  arm: 'cf',
  itemList: [
    { itemId: 'a', score: 1, source: 'cf', reason: ['customers with a similar history chose it'] },
    { itemId: 'b', score: 1, source: 'popularity:global', reason: ['popular'] },
  ],
  degraded: false,
});

describe('ImpressionRecorder', () => {
  it('records the served items, arm and slot', async () => {
    const store = new MemoryEventStore();
    const recorder = new ImpressionRecorder(store, { sampleRate: 1, batchMs: 50, now: () => NOW });
    expect(recorder.record(response())).toBe(true);
    await recorder.flush();
    expect(await store.impressionsBetween(0, NOW + 1)).toEqual([
      {
        recommendationId: 'rec-1',
        userId: 'u1',
        slot: 'home',
        experiment: 'x',
        arm: 'cf',
        items: ['a', 'b'],
        ts: NOW,
      },
    ]);
  });

  it('records about the configured share of lists, deterministically per id', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `rec-${i}`);
    const share = ids.filter((id) => sampledImpression(id, 0.25)).length / ids.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.28);
    expect(ids.map((id) => sampledImpression(id, 0.25))).toEqual(
      ids.map((id) => sampledImpression(id, 0.25)),
    );
  });

  it('writes 25 lists per call: a full batch at once, the rest when flushed', async () => {
    const calls: number[] = [];
    const recorder = new ImpressionRecorder(
      { putImpressions: async (list) => void calls.push(list.length) },
      { sampleRate: 1, batchMs: 60_000 },
    );
    for (let i = 0; i < 30; i++) recorder.record(response(`r${i}`));
    expect(calls).toEqual([25]);
    await recorder.flush();
    expect(calls).toEqual([25, 5]);
  });

  it('drops and reports lists beyond maxPending while the store does not answer', async () => {
    const handed: number[] = [];
    const lost: number[] = [];
    const recorder = new ImpressionRecorder(
      // a store that never answers: every write stays in flight
      { putImpressions: (list) => new Promise<void>(() => void handed.push(list.length)) },
      { sampleRate: 1, batchMs: 60_000, maxPending: 100, onError: (_err, n) => void lost.push(n) },
    );
    const recorded = Array.from({ length: 130 }, (_, i) => recorder.record(response(`r${i}`)));
    expect(recorded.filter(Boolean)).toHaveLength(100);
    expect(handed.reduce((a, b) => a + b, 0)).toBe(100);
    expect(lost.reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('writes a partial batch after batchMs without a flush', async () => {
    const store = new MemoryEventStore();
    const recorder = new ImpressionRecorder(store, { sampleRate: 1, batchMs: 20, now: () => NOW });
    recorder.record(response());
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await store.impressionsBetween(0, NOW + 1)).length).toBe(1);
  });

  it('never makes the request wait for a slow store', () => {
    const recorder = new ImpressionRecorder(
      { putImpressions: () => new Promise((resolve) => setTimeout(resolve, 500)) },
      { sampleRate: 1, batchMs: 0 },
    );
    const t0 = performance.now();
    recorder.record(response());
    expect(performance.now() - t0).toBeLessThan(20);
  });

  it('reports a failed write with the number of lists lost instead of throwing', async () => {
    const lost: number[] = [];
    const recorder = new ImpressionRecorder(
      {
        putImpressions: async () => {
          throw new DependencyError('dynamodb', 'down');
        },
      },
      { sampleRate: 1, batchMs: 60_000, onError: (_, n) => lost.push(n) },
    );
    recorder.record(response('r1'));
    recorder.record(response('r2'));
    await recorder.flush();
    expect(lost).toEqual([2]);
  });

  it('skips an empty list', () => {
    const recorder = new ImpressionRecorder(new MemoryEventStore(), { sampleRate: 1, batchMs: 0 });
    expect(recorder.record({ ...response(), itemList: [] })).toBe(false);
  });
});

describe('session arm from recent events', () => {
  const base = [
    { itemId: 'p1', score: 0.9 },
    { itemId: 'p2', score: 0.8 },
    { itemId: 'p3', score: 0.7 },
  ];
  const e = (itemId: string, eventType: StoredEvent['eventType'], sentAt: number): StoredEvent => ({
    eventId: `${itemId}-${eventType}-${sentAt}`,
    userId: 'u1',
    sessionId: 's',
    eventType,
    rawEventType: eventType,
    itemId,
    sentAt,
  });

  it('serves the precomputed list unchanged without recent events', () => {
    expect(rerankWithRecent(base, [], 2)).toEqual(base.slice(0, 2));
  });

  it('leads with carted items not yet bought, newest first, and drops items seen since', () => {
    const recent = [e('x', 'cart', 3), e('p1', 'view', 2), e('y', 'favorite', 1)];
    expect(rerankWithRecent(base, recent, 4).map((i) => i.itemId)).toEqual(['x', 'y', 'p2', 'p3']);
  });

  it('does not lead with an item bought after it was carted', () => {
    const recent = [e('x', 'purchase', 3), e('x', 'cart', 2)];
    expect(rerankWithRecent(base, recent, 3).map((i) => i.itemId)).toEqual(['p1', 'p2', 'p3']);
  });

  it('reads recent events from the store and keeps scores descending', async () => {
    const store = new MemoryEventStore();
    await store.putEvents([e('x', 'cart', NOW)]);
    const source = new RecentEventsSessionSource(
      'session',
      { source: 'session', candidates: async () => base },
      store,
      { recentLimit: 10 },
    );
    const got = await source.candidates('u1', 3);
    expect(got.map((i) => i.itemId)).toEqual(['x', 'p1', 'p2']);
    for (let k = 1; k < got.length; k++) expect(got[k].score).toBeLessThanOrEqual(got[k - 1].score);
  });

  it('falls back to the precomputed list when the events table fails', async () => {
    const store = new MemoryEventStore();
    store.recentEvents = async () => {
      throw new DependencyError('dynamodb', 'down');
    };
    const source = new RecentEventsSessionSource(
      'session',
      { source: 'session', candidates: async () => base },
      store,
      { recentLimit: 10 },
    );
    expect(await source.candidates('u1', 2)).toEqual(base.slice(0, 2));
  });
});

describe('publishAbReport (nightly step)', () => {
  it('stores the report as JSON and SVG artifacts and the latest state record', async () => {
    const { publishAbReport, AB_REPORT_KEYS } = await import('../../shared/use-cases/events.js');
    const { DEFAULT_EXPERIMENTS } = await import('../../shared/domain/experiments/experiments.js');
    const store = new MemoryEventStore();
    await store.putImpressions([impressionOf(response('r-9'), NOW - 1000)]);
    await store.putEvents([
      {
        eventId: 'x',
        userId: 'u1',
        sessionId: 's',
        eventType: 'view',
        rawEventType: 'view',
        itemId: 'a',
        sentAt: NOW - 500,
        recommendationId: 'r-9',
      },
    ]);
    const artifacts = new Map<string, string>();
    const records = new Map<string, unknown>();
    const out = await publishAbReport(
      {
        events: store,
        experiments: DEFAULT_EXPERIMENTS,
        windowMs: 3_600_000,
        state: { putRecord: async (k, v) => void records.set(k, v) },
        artifacts: { put: async (k, b) => void artifacts.set(k, String(b)) },
      },
      {},
      NOW,
    );
    expect(out).toEqual({
      json: 'reports/ab/2026-11-28.json',
      svg: 'reports/ab/2026-11-28.svg',
      slots: 1,
      impressions: 1,
    });
    expect(artifacts.get(out.svg)?.startsWith('<svg')).toBe(true);
    expect((records.get(AB_REPORT_KEYS.record) as { attribution: unknown }).attribution).toEqual({
      direct: 1,
      window: 0,
      none: 0,
    });
  });
});
