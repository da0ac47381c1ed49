import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/event-store.js';
import { MemoryEventStore } from '../../shared/adapters/memory/event-store.js';
import { useDynalite } from '../helpers/dynalite.js';
import { describeEventStore } from './event-store.contract.js';

describeEventStore('memory', async () => new MemoryEventStore());

const dynamo = useDynalite('events');
const freshTable = () => dynamo.freshTable('events');

describeEventStore(
  'dynamodb',
  async () => new DynamoEventStore(dynamo.doc(), { tableName: await freshTable(), ttlDays: 90 }),
);

describe('DynamoEventStore', () => {
  it('completes an event whose first call stopped after the claim, from the claimed content, on the retry', async () => {
    const tableName = await freshTable();
    const store = new DynamoEventStore(dynamo.doc(), { tableName, ttlDays: 90 });
    const sentAt = Date.UTC(2026, 10, 1);
    const claimed = {
      eventId: 'half',
      userId: 'u1',
      sessionId: 's',
      eventType: 'cart' as const,
      rawEventType: 'cart',
      itemId: 'i1',
      sentAt,
    };
    // what a crash between the claim and the timeline write leaves behind
    await dynamo.doc().send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: 'event#half', sk: 'id', kind: 'mark', ...claimed, ts: sentAt },
      }),
    );
    const retry = await store.putEvents([{ ...claimed, itemId: 'changed' }]);
    expect(retry).toEqual({ stored: [], duplicates: ['half'] });
    expect(await store.recentEvents('u1', 5)).toEqual([claimed]);
  });

  it('sets the TTL attribute from sentAt and the retention', async () => {
    const tableName = await freshTable();
    const store = new DynamoEventStore(dynamo.doc(), { tableName, ttlDays: 1 });
    const sentAt = Date.UTC(2026, 10, 1);
    await store.putEvents([
      {
        eventId: 'x',
        userId: 'u',
        sessionId: 's',
        eventType: 'view',
        rawEventType: 'view',
        itemId: 'i',
        sentAt,
      },
    ]);
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
    const out = await dynamo
      .doc()
      .send(new GetCommand({ TableName: tableName, Key: { pk: 'event#x', sk: 'id' } }));
    expect(out.Item?.expiresAt).toBe(sentAt / 1000 + 86_400);
  });

  describe('impressions', () => {
    const T = Date.UTC(2026, 10, 1, 12);
    const list = (i: number, items = ['a', 'b']) => ({
      recommendationId: `r-${i}`,
      userId: `u${i % 7}`,
      slot: 'home',
      experiment: 'exp',
      arm: i % 2 === 0 ? 'cf' : 'fm',
      items,
      ts: T + i * 10,
    });
    const stored = async (tableName: string) => {
      const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
      return (await dynamo.doc().send(new ScanCommand({ TableName: tableName }))).Items ?? [];
    };

    it('stores one flush of 25 lists as a single item', async () => {
      const tableName = await freshTable();
      const store = new DynamoEventStore(dynamo.doc(), { tableName, ttlDays: 90 });
      await store.putImpressions(Array.from({ length: 25 }, (_, i) => list(i)));
      const items = await stored(tableName);
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ kind: 'imps', ts: T, tsMax: T + 240 });
      expect(await store.impressionsBetween(T, T + 1000)).toHaveLength(25);
    });

    it('splits a flush of large lists into items under the 400 KB item limit', async () => {
      const tableName = await freshTable();
      const store = new DynamoEventStore(dynamo.doc(), { tableName, ttlDays: 90 });
      const items500 = Array.from({ length: 500 }, (_, j) => `item-${'x'.repeat(40)}-${j}`);
      await store.putImpressions(Array.from({ length: 40 }, (_, i) => list(i, items500)));
      const rows = await stored(tableName);
      expect(rows.length).toBeGreaterThan(1);
      for (const r of rows) expect(Buffer.byteLength(String(r.lists))).toBeLessThan(400_000);
      const back = await store.impressionsBetween(T, T + 1000);
      expect(back).toHaveLength(40);
      expect(back.every((imp) => imp.items.length === 500)).toBe(true);
    });

    it('returns only the lists of a stored batch that fall in the range', async () => {
      const tableName = await freshTable();
      const store = new DynamoEventStore(dynamo.doc(), { tableName, ttlDays: 90 });
      await store.putImpressions(Array.from({ length: 10 }, (_, i) => list(i)));
      const got = await store.impressionsBetween(T + 30, T + 60);
      expect(got.map((imp) => imp.recommendationId).sort()).toEqual(['r-3', 'r-4', 'r-5']);
    });

    it('reports a list once when a retried flush stored it again in another batch', async () => {
      const tableName = await freshTable();
      const store = new DynamoEventStore(dynamo.doc(), { tableName, ttlDays: 90 });
      await store.putImpressions([list(1), list(2)]);
      await store.putImpressions([list(2), list(3)]);
      const got = await store.impressionsBetween(T, T + 1000);
      expect(got.map((imp) => imp.recommendationId).sort()).toEqual(['r-1', 'r-2', 'r-3']);
    });

    it('sets the TTL of a batch from its newest list', async () => {
      const tableName = await freshTable();
      const store = new DynamoEventStore(dynamo.doc(), { tableName, ttlDays: 1 });
      await store.putImpressions([list(0), list(100)]);
      const [item] = await stored(tableName);
      expect(item.expiresAt).toBe(Math.floor((T + 1000) / 1000) + 86_400);
    });
  });
});
