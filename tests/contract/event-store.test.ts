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
});
