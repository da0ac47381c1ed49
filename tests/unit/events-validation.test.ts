import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EVENT_TYPE_MAPPING,
  jsonBoundsExceeded,
  parseEventBatch,
  parseEventTypeMapping,
  parseSentAt,
} from '../../shared/domain/events/events.js';
import { rejected } from '../helpers/rejected.js';

const NOW = Date.UTC(2026, 10, 28, 12);
const OPTIONS = {
  now: NOW,
  maxSkewMs: 300_000,
  maxAgeMs: 90 * 86_400_000,
  mapping: DEFAULT_EVENT_TYPE_MAPPING,
};

function body(over: Record<string, unknown> = {}, event: Record<string, unknown> = {}) {
  return {
    userId: 'u1',
    sessionId: 's1',
    eventList: [
      {
        eventId: 'e1',
        eventType: 'view',
        itemId: 'i1',
        sentAt: new Date(NOW - 1000).toISOString(),
        ...event,
      },
    ],
    ...over,
  };
}

/** A JSON object nested `levels` deep: {"a":{"a":...{}}}. */
function nested(levels: number): string {
  return `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
}

describe('parseEventBatch', () => {
  it('accepts a valid batch and keeps every field', () => {
    const b = parseEventBatch(body({}, { recommendationId: 'r1', properties: { price: 10 } }), OPTIONS);
    expect(b.events).toEqual([
      {
        eventId: 'e1',
        userId: 'u1',
        sessionId: 's1',
        eventType: 'view',
        rawEventType: 'view',
        itemId: 'i1',
        sentAt: NOW - 1000,
        recommendationId: 'r1',
        properties: '{"price":10}',
      },
    ]);
  });

  it.each([
    ['a non-object body', 'body', () => parseEventBatch([1], OPTIONS)],
    ['a numeric userId', 'userId', () => parseEventBatch(body({ userId: 7 }), OPTIONS)],
    ['an empty userId', 'userId', () => parseEventBatch(body({ userId: '' }), OPTIONS)],
    ['a userId over 256 chars', 'userId', () => parseEventBatch(body({ userId: 'x'.repeat(257) }), OPTIONS)],
    ['a userId with a control character', 'userId', () => parseEventBatch(body({ userId: 'a\nb' }), OPTIONS)],
    ['a missing sessionId', 'sessionId', () => parseEventBatch(body({ sessionId: undefined }), OPTIONS)],
    ['a non-array eventList', 'eventList', () => parseEventBatch(body({ eventList: {} }), OPTIONS)],
    ['an empty eventList', 'eventList', () => parseEventBatch(body({ eventList: [] }), OPTIONS)],
    ['a non-object event', 'eventList[0]', () => parseEventBatch(body({ eventList: ['x'] }), OPTIONS)],
    [
      'a missing eventId',
      'eventList[0].eventId',
      () => parseEventBatch(body({}, { eventId: undefined }), OPTIONS),
    ],
    ['a numeric eventId', 'eventList[0].eventId', () => parseEventBatch(body({}, { eventId: 5 }), OPTIONS)],
    [
      'an unknown eventType',
      'eventList[0].eventType',
      () => parseEventBatch(body({}, { eventType: 'hover' }), OPTIONS),
    ],
    [
      'a missing itemId',
      'eventList[0].itemId',
      () => parseEventBatch(body({}, { itemId: undefined }), OPTIONS),
    ],
    [
      'an unparseable sentAt',
      'eventList[0].sentAt',
      () => parseEventBatch(body({}, { sentAt: 'yesterday' }), OPTIONS),
    ],
    [
      'a sentAt without a zone',
      'eventList[0].sentAt',
      () => parseEventBatch(body({}, { sentAt: '2026-11-28T11:00:00' }), OPTIONS),
    ],
    [
      'a sentAt in the future',
      'eventList[0].sentAt',
      () => parseEventBatch(body({}, { sentAt: (NOW + 600_000) / 1000 }), OPTIONS),
    ],
    [
      'a sentAt older than the retention',
      'eventList[0].sentAt',
      () => parseEventBatch(body({}, { sentAt: 1 }), OPTIONS),
    ],
    [
      'an empty recommendationId',
      'eventList[0].recommendationId',
      () => parseEventBatch(body({}, { recommendationId: '' }), OPTIONS),
    ],
    [
      'properties that are not JSON',
      'eventList[0].properties',
      () => parseEventBatch(body({}, { properties: '{x' }), OPTIONS),
    ],
    [
      'properties that are an array',
      'eventList[0].properties',
      () => parseEventBatch(body({}, { properties: [1] }), OPTIONS),
    ],
    [
      'properties over 1 KB',
      'eventList[0].properties',
      () => parseEventBatch(body({}, { properties: { s: 'x'.repeat(1100) } }), OPTIONS),
    ],
    [
      'properties nested 5,000 levels deep',
      'eventList[0].properties',
      () => parseEventBatch(body({}, { properties: JSON.parse(nested(5000)) }), OPTIONS),
    ],
    [
      'a properties string nested 5,000 levels deep',
      'eventList[0].properties',
      () => parseEventBatch(body({}, { properties: nested(5000) }), OPTIONS),
    ],
    [
      'a properties string over 1 KB',
      'eventList[0].properties',
      () => parseEventBatch(body({}, { properties: `{"s":"${'x'.repeat(1100)}"}` }), OPTIONS),
    ],
    [
      'properties nested 17 levels deep',
      'eventList[0].properties',
      () => parseEventBatch(body({}, { properties: JSON.parse(nested(17)) }), OPTIONS),
    ],
    [
      'properties with a million-element array',
      'eventList[0].properties',
      () => parseEventBatch(body({}, { properties: { a: new Array(1_000_000).fill(0) } }), OPTIONS),
    ],
  ])('rejects %s, naming %s', (_, parameter, f) => {
    expect(rejected(f)).toBe(parameter);
  });

  it('accepts properties nested 16 levels deep', () => {
    const b = parseEventBatch(body({}, { properties: JSON.parse(nested(16)) }), OPTIONS);
    expect(b.events[0].properties).toBe(nested(16));
  });

  it('accepts a batch without a userId from an anonymous visitor, as PutEvents does', () => {
    const batch = parseEventBatch(body({ userId: undefined }), OPTIONS);
    expect(batch.userId).toBeUndefined();
    expect(batch.sessionId).toBe('s1');
    expect(batch.events.every((e) => !('userId' in e))).toBe(true);
  });

  it('rejects more than 10 events', () => {
    const eventList = Array.from({ length: 11 }, (_, i) => ({
      eventId: `e${i}`,
      eventType: 'view',
      itemId: 'i',
      sentAt: NOW / 1000,
    }));
    expect(rejected(() => parseEventBatch(body({ eventList }), OPTIONS))).toBe('eventList');
  });

  it('rejects the whole batch when one event is invalid, naming its index', () => {
    const eventList = [
      { eventId: 'a', eventType: 'view', itemId: 'i', sentAt: NOW / 1000 },
      { eventId: 'b', eventType: 'view', itemId: 'i', sentAt: 'bad' },
    ];
    expect(rejected(() => parseEventBatch(body({ eventList }), OPTIONS))).toBe('eventList[1].sentAt');
  });

  it('rejects an eventId repeated within the batch', () => {
    const eventList = [
      { eventId: 'a', eventType: 'view', itemId: 'i', sentAt: NOW / 1000 },
      { eventId: 'a', eventType: 'cart', itemId: 'i', sentAt: NOW / 1000 },
    ];
    expect(rejected(() => parseEventBatch(body({ eventList }), OPTIONS))).toBe('eventList[1].eventId');
  });

  it('accepts a sentAt slightly in the future within the skew', () => {
    const b = parseEventBatch(body({}, { sentAt: (NOW + 60_000) / 1000 }), OPTIONS);
    expect(b.events[0].sentAt).toBe(NOW + 60_000);
  });

  it('maps configured type names to canonical types and keeps the name sent', () => {
    const mapping = parseEventTypeMapping('{"pv":"view","buy":"purchase"}');
    const b = parseEventBatch(body({}, { eventType: 'BUY' }), { ...OPTIONS, mapping });
    expect([b.events[0].eventType, b.events[0].rawEventType]).toEqual(['purchase', 'BUY']);
  });
});

describe('parseSentAt', () => {
  it('reads unix seconds as a number or a numeric string', () => {
    expect([parseSentAt(1_700_000_000.5), parseSentAt('1700000000')]).toEqual([
      1_700_000_000_500, 1_700_000_000_000,
    ]);
  });

  it('reads ISO-8601 with an offset', () => {
    expect(parseSentAt('2026-11-28T21:00:00+09:00')).toBe(Date.UTC(2026, 10, 28, 12));
  });
});

describe('jsonBoundsExceeded', () => {
  it('only reports a size that JSON.stringify really exceeds', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 300 }), (value, maxBytes) => {
        const exceeded = jsonBoundsExceeded(value, maxBytes, 100);
        const bytes = Buffer.byteLength(JSON.stringify(value));
        if (exceeded === 'size') expect(bytes).toBeGreaterThan(maxBytes);
      }),
      { seed: 12, numRuns: 2000 },
    );
  });
});

describe('parseEventTypeMapping', () => {
  it('rejects a mapping to an unknown canonical type', () => {
    expect(rejected(() => parseEventTypeMapping('{"pv":"look"}'))).toBe('EVENT_TYPE_MAPPING');
  });
});
