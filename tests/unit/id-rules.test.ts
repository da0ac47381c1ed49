import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_TYPE_MAPPING, parseEventBatch } from '../../shared/domain/events/events.js';
import { idProblem } from '../../shared/domain/ids.js';
import { parseRecommendationRequest } from '../../shared/domain/recommend/request.js';
import { putNgItem } from '../../shared/use-cases/ng-items.js';
import { memoryDeps } from '../helpers/request-path.js';
import { rejected } from '../helpers/rejected.js';

const NOW = Date.UTC(2026, 10, 28, 12);
const OPTIONS = { now: NOW, maxSkewMs: 300_000, maxAgeMs: 86_400_000, mapping: DEFAULT_EVENT_TYPE_MAPPING };
// two ids that differ only in their unpaired surrogate: both become "a\uFFFD" in UTF-8
const LONE_HIGH = 'a\ud800';
const LONE_LOW = 'a\udc00';

const batch = (over: Record<string, unknown> = {}, event: Record<string, unknown> = {}) => ({
  userId: 'u1',
  sessionId: 's1',
  eventList: [{ eventId: 'e1', eventType: 'view', itemId: 'i1', sentAt: (NOW - 1000) / 1000, ...event }],
  ...over,
});

describe('ids must be well-formed Unicode', () => {
  it.each([
    ['userId', batch({ userId: LONE_HIGH })],
    ['sessionId', batch({ sessionId: LONE_LOW })],
    ['eventList[0].eventId', batch({}, { eventId: LONE_HIGH })],
    ['eventList[0].eventType', batch({}, { eventType: 'view\ud800' })],
    ['eventList[0].itemId', batch({}, { itemId: LONE_LOW })],
    ['eventList[0].recommendationId', batch({}, { recommendationId: LONE_HIGH })],
  ])('rejects a POST /events %s with a lone surrogate', (parameter, body) => {
    expect(rejected(() => parseEventBatch(body, OPTIONS))).toBe(parameter);
  });

  it('rejects a batch whose two eventIds differ only in a lone surrogate', () => {
    const body = batch({
      eventList: [LONE_HIGH, LONE_LOW].map((eventId) => ({
        eventId,
        eventType: 'view',
        itemId: 'i1',
        sentAt: (NOW - 1000) / 1000,
      })),
    });
    expect(rejected(() => parseEventBatch(body, OPTIONS))).toBe('eventList[0].eventId');
  });

  it.each([
    ['userId', LONE_HIGH, {}],
    ['exclude', 'u1', { exclude: `i1,${LONE_LOW}` }],
    ['GENDER', 'u1', { GENDER: LONE_HIGH }],
    ['arm', 'u1', { arm: LONE_HIGH }],
  ])('rejects a recommendations %s with a lone surrogate', (parameter, userId, query) => {
    expect(rejected(() => parseRecommendationRequest(userId, query, 10))).toBe(parameter);
  });

  it('rejects an NG itemId with a lone surrogate and stores nothing', async () => {
    const { deps, ngItems } = await memoryDeps({ segmentLists: [] });
    await expect(putNgItem({ ngItems, ngList: deps.ngList }, LONE_HIGH, undefined)).rejects.toMatchObject({
      status: 400,
      parameter: 'itemId',
    });
    expect((await ngItems.list(10)).items).toEqual([]);
  });

  it('accepts ids with astral characters (a valid surrogate pair)', () => {
    expect([idProblem('u-😀'), idProblem('商品-𠮷')]).toEqual([undefined, undefined]);
  });
});
