import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../shared/adapters/memory/event-store.js';
import { MemoryRecommendationStore } from '../../shared/adapters/memory/recommendation-store.js';
import { MemoryPipelineStateStore } from '../../shared/adapters/memory/pipeline-state-store.js';
import { DEFAULT_SESSION_OPTIONS, trainSession } from '../../shared/domain/algorithms/session.js';
import { generateShop } from '../../shared/domain/data/generator.js';
import type { StoredEvent } from '../../shared/domain/events/events.js';
import {
  DEFAULT_SESSION_POSITION_DECAY,
  neighbourListsOf,
  RECENT_EVENT_WEIGHTS,
  scoreRecentEvents,
} from '../../shared/domain/recommend/session-scoring.js';
import { VersionPointers } from '../../shared/use-cases/candidate-sources.js';
import {
  publishSessionNeighbours,
  RecentEventsSessionSource,
  StoredSessionNeighbours,
} from '../../shared/use-cases/session-source.js';

const { dataset } = generateShop({ seed: 3, users: 300, items: 200 });
const model = trainSession(dataset);
const itemIds = dataset.items.ids;
const lists = neighbourListsOf(model.lists, itemIds, 1000);
const byItem = new Map(lists.map((l) => [l.userId, [...l.items]]));

const recentEvents = (pairs: [string, StoredEvent['eventType']][]): StoredEvent[] =>
  pairs.map(([itemId, eventType], k) => ({
    eventId: `e${k}`,
    userId: 'visitor',
    sessionId: 's',
    eventType,
    rawEventType: eventType,
    itemId,
    sentAt: 1_000_000 - k,
  }));

describe('request-time session scoring', () => {
  it('uses the trained model’s default position decay', () => {
    expect(DEFAULT_SESSION_POSITION_DECAY).toBe(DEFAULT_SESSION_OPTIONS.positionDecay);
  });

  it('ranks like SessionModel.recommendFromRecent on the same recent events', () => {
    // newest first, as the events table returns them
    const recent = recentEvents([
      [itemIds[5], 'cart'],
      [itemIds[17], 'view'],
      [itemIds[42], 'favorite'],
      [itemIds[9], 'view'],
    ]);
    const got = scoreRecentEvents(recent, byItem, 10, { positionDecay: model.positionDecay });
    const oldestFirst = [...recent].reverse();
    const want = model.recommendFromRecent(
      oldestFirst.map((e) => e.itemId),
      10,
      undefined,
      oldestFirst.map((e) => RECENT_EVENT_WEIGHTS[e.eventType]),
    );
    expect(got.map((g) => g.score)).toEqual(Array.from(want.scores, (s) => expect.closeTo(s, 4)));
    expect(got.map((g) => g.itemId).slice(0, 3)).toEqual(
      Array.from(want.items.slice(0, 3), (i) => itemIds[i]),
    );
  });

  it('never returns the recent items themselves', () => {
    const recent = recentEvents([
      [itemIds[1], 'view'],
      [itemIds[2], 'view'],
    ]);
    const got = scoreRecentEvents(recent, byItem, 50, { positionDecay: 0.85 });
    expect(got.some((g) => g.itemId === itemIds[1] || g.itemId === itemIds[2])).toBe(false);
  });

  it('keeps at most the requested neighbours per item, strongest first', () => {
    const short = neighbourListsOf(model.lists, itemIds, 5);
    for (const l of short) {
      expect(l.items.length).toBeLessThanOrEqual(5);
      for (let k = 1; k < l.items.length; k++)
        expect(l.items[k].score).toBeLessThanOrEqual(l.items[k - 1].score);
    }
  });
});

describe('RecentEventsSessionSource with published neighbour lists', () => {
  async function source(events: MemoryEventStore) {
    const recommendations = new MemoryRecommendationStore();
    const state = new MemoryPipelineStateStore();
    await publishSessionNeighbours(recommendations, 'v1', lists);
    await state.setActiveVersion('session', 'v1', undefined);
    const base = [
      { itemId: itemIds[100], score: 0.9 },
      { itemId: itemIds[101], score: 0.8 },
    ];
    return new RecentEventsSessionSource(
      'session',
      { source: 'session', candidates: async () => base },
      events,
      {
        recentLimit: 10,
        neighbours: new StoredSessionNeighbours(new VersionPointers(state, 60_000), recommendations),
      },
    );
  }

  it('scores the recent events with the model, then fills from the precomputed list', async () => {
    const events = new MemoryEventStore();
    await events.putEvents(recentEvents([[itemIds[5], 'cart']]));
    const got = await (await source(events)).candidates('visitor', 60);
    const expected = scoreRecentEvents(recentEvents([[itemIds[5], 'cart']]), byItem, 60, {
      positionDecay: 0.85,
    });
    expect(got.slice(0, expected.length)).toEqual(expected);
    expect(got.some((g) => g.itemId === itemIds[5])).toBe(false);
    for (let k = 1; k < got.length; k++) expect(got[k].score).toBeLessThanOrEqual(got[k - 1].score);
  });

  it('serves the precomputed list to a user without recent events', async () => {
    const got = await (await source(new MemoryEventStore())).candidates('nobody', 5);
    expect(got.map((g) => g.itemId)).toEqual([itemIds[100], itemIds[101]]);
  });
});
