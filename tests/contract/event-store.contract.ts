import { describe, expect, it } from 'vitest';
import type { Impression, StoredEvent } from '../../shared/domain/events/events.js';
import type { EventStore } from '../../shared/ports/events.js';

const T0 = Date.UTC(2026, 10, 1, 12);

function event(i: number, over: Partial<StoredEvent> = {}): StoredEvent {
  return {
    eventId: `e-${i}`,
    userId: 'u1',
    sessionId: 's1',
    eventType: 'view',
    rawEventType: 'view',
    itemId: `i-${i}`,
    sentAt: T0 + i * 1000,
    ...over,
  };
}

function impression(i: number, over: Partial<Impression> = {}): Impression {
  return {
    recommendationId: `r-${i}`,
    userId: 'u1',
    slot: 'home',
    experiment: 'exp',
    arm: 'cf',
    items: ['i-1', 'i-2'],
    ts: T0 + i * 1000,
    ...over,
  };
}

const byId = (a: { eventId: string }, b: { eventId: string }) => (a.eventId < b.eventId ? -1 : 1);

/** The EventStore contract; `factory` returns an empty store for each test. */
export function describeEventStore(name: string, factory: () => Promise<EventStore>): void {
  describe(`EventStore contract (${name})`, () => {
    it('stores new events and returns them with every field', async () => {
      const store = await factory();
      const e = event(1, { recommendationId: 'r-1', properties: '{"price":100}', rawEventType: 'pv' });
      expect(await store.putEvents([e])).toEqual({ stored: [e], duplicates: [] });
      expect(await store.eventsBetween(T0, T0 + 10_000)).toEqual([e]);
    });

    it('stores an eventId once, reporting the repeat as a duplicate', async () => {
      const store = await factory();
      await store.putEvents([event(1), event(2)]);
      const again = await store.putEvents([event(2), event(3)]);
      expect(again.duplicates).toEqual(['e-2']);
      expect(again.stored.map((e) => e.eventId)).toEqual(['e-3']);
      expect((await store.eventsBetween(0, T0 * 2)).sort(byId).map((e) => e.eventId)).toEqual([
        'e-1',
        'e-2',
        'e-3',
      ]);
    });

    it('keeps the first content when a duplicate eventId arrives with different fields', async () => {
      const store = await factory();
      await store.putEvents([event(1)]);
      await store.putEvents([event(1, { itemId: 'other', sentAt: T0 + 99_000 })]);
      expect(await store.eventsBetween(0, T0 * 2)).toEqual([event(1)]);
    });

    it('keeps a resend under another session and time out of both timelines', async () => {
      const store = await factory();
      await store.putEvents([event(1)]);
      const again = await store.putEvents([event(1, { sessionId: 's2', sentAt: T0 + 5000, itemId: 'x' })]);
      expect(again).toEqual({ stored: [], duplicates: ['e-1'] });
      expect(await store.sessionEvents('s2', 10)).toEqual([]);
      expect(await store.sessionEvents('s1', 10)).toEqual([event(1)]);
      expect(await store.recentEvents('u1', 10)).toEqual([event(1)]);
    });

    it('stores each of many concurrent repeats of one eventId once', async () => {
      const store = await factory();
      const results = await Promise.all(Array.from({ length: 8 }, () => store.putEvents([event(7)])));
      expect(results.filter((r) => r.duplicates.length === 0).length).toBeGreaterThanOrEqual(1);
      expect(await store.eventsBetween(0, T0 * 2)).toEqual([event(7)]);
    });

    it("returns a user's recent events newest first, up to the limit", async () => {
      const store = await factory();
      await store.putEvents([event(3), event(1), event(2), event(4, { userId: 'u2' })]);
      const recent = await store.recentEvents('u1', 2);
      expect(recent.map((e) => e.eventId)).toEqual(['e-3', 'e-2']);
    });

    it("returns a session's events newest first, anonymous ones included", async () => {
      const store = await factory();
      const { userId: _, ...anonymous } = event(1, { sessionId: 's9' });
      await store.putEvents([anonymous, event(2, { sessionId: 's9' }), event(3)]);
      expect((await store.sessionEvents('s9', 10)).map((e) => [e.eventId, e.userId])).toEqual([
        ['e-2', 'u1'],
        ['e-1', undefined],
      ]);
      expect((await store.recentEvents('u1', 10)).map((e) => e.eventId)).toEqual(['e-3', 'e-2']);
    });

    it("gives a session's anonymous events to the user who identified in it", async () => {
      const store = await factory();
      const { userId: _, ...anonymous } = event(1, { sessionId: 's9' });
      await store.putEvents([anonymous]);
      expect(await store.recentEvents('u7', 10)).toEqual([]);
      await store.assignToUser('u7', [anonymous]);
      expect(await store.recentEvents('u7', 10)).toEqual([{ ...anonymous, userId: 'u7' }]);
      expect(await store.sessionEvents('s9', 10)).toEqual([{ ...anonymous, userId: 'u7' }]);
      // a resend of the anonymous event keeps it the user's
      await store.putEvents([anonymous]);
      expect((await store.sessionEvents('s9', 10))[0].userId).toBe('u7');
      expect(await store.eventsBetween(0, T0 * 2)).toEqual([{ ...anonymous, userId: 'u7' }]);
    });

    it('returns no recent events for an unknown user', async () => {
      const store = await factory();
      expect(await store.recentEvents('nobody', 5)).toEqual([]);
    });

    it('selects events by sentAt in a half-open range', async () => {
      const store = await factory();
      await store.putEvents([event(1), event(2), event(3)]);
      const got = await store.eventsBetween(T0 + 2000, T0 + 3000);
      expect(got.map((e) => e.eventId)).toEqual(['e-2']);
    });

    it('stores impressions and selects them by time', async () => {
      const store = await factory();
      await store.putImpressions([impression(1), impression(2, { userId: 'u2', arm: 'fm', items: ['x'] })]);
      await store.putImpressions([impression(5)]);
      const got = await store.impressionsBetween(T0, T0 + 3000);
      expect(got.sort((a, b) => a.ts - b.ts)).toEqual([
        impression(1),
        impression(2, { userId: 'u2', arm: 'fm', items: ['x'] }),
      ]);
    });

    it('stores a batch of more than 25 impressions, a repeated one once', async () => {
      const store = await factory();
      const many = Array.from({ length: 30 }, (_, i) => impression(i, { userId: `u${i % 4}` }));
      await store.putImpressions([...many, many[3]]);
      expect((await store.impressionsBetween(0, T0 * 2)).length).toBe(30);
    });

    it('does not mix impressions into recent events or event reads', async () => {
      const store = await factory();
      await store.putImpressions([impression(1)]);
      await store.putEvents([event(2)]);
      expect((await store.recentEvents('u1', 10)).map((e) => e.eventId)).toEqual(['e-2']);
      expect((await store.eventsBetween(0, T0 * 2)).map((e) => e.eventId)).toEqual(['e-2']);
    });
  });
}
