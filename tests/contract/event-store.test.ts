import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDynamoClients } from '../../shared/adapters/dynamodb/clients.js';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/event-store.js';
import { defaultTableNames } from '../../shared/adapters/dynamodb/tables.js';
import {
  createTables,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/adapters/local/dynalite-server.js';
import { MemoryEventStore } from '../../shared/adapters/memory/event-store.js';
import { describeEventStore } from './event-store.contract.js';

describeEventStore('memory', async () => new MemoryEventStore());

let local: LocalDynamo;
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let tables = 0;

beforeAll(async () => {
  local = await startLocalDynamo();
  ({ client, doc } = makeDynamoClients(local.endpoint));
});

afterAll(async () => {
  client?.destroy();
  await local?.stop();
});

async function freshTable(): Promise<string> {
  const names = defaultTableNames(`events-${++tables}`);
  await createTables(client, names, { only: ['events'] });
  return names.events;
}

describeEventStore(
  'dynamodb',
  async () => new DynamoEventStore(doc, { tableName: await freshTable(), ttlDays: 90 }),
);

describe('DynamoEventStore', () => {
  it('completes an event whose first call stopped after the claim, from the claimed content, on the retry', async () => {
    const tableName = await freshTable();
    const store = new DynamoEventStore(doc, { tableName, ttlDays: 90 });
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
    await doc.send(
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
    const store = new DynamoEventStore(doc, { tableName, ttlDays: 1 });
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
    const out = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: 'event#x', sk: 'id' } }));
    expect(out.Item?.expiresAt).toBe(sentAt / 1000 + 86_400);
  });
});
