import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeDynamoClients } from '../../shared/adapters/dynamodb/clients.js';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/event-store.js';
import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import {
  defaultTableNames,
  LOGICAL_TABLES,
  tableDefinitions,
} from '../../shared/adapters/dynamodb/tables.js';
import {
  createTables,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/adapters/local/dynalite-server.js';
import { dynaliteAbstractLevels } from '../../shared/adapters/local/dynalite-instance.mjs';
import { TABLE_ENV } from '../../shared/config/config.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(
  dbPath?: string,
): Promise<{ local: LocalDynamo } & ReturnType<typeof makeDynamoClients>> {
  const local = await startLocalDynamo({ dbPath });
  const clients = makeDynamoClients(local.endpoint);
  cleanups.push(
    () => local.stop(),
    () => clients.client.destroy(),
  );
  return { local, ...clients };
}

describe('startLocalDynamo', () => {
  it('listens on a free loopback port', async () => {
    const { local } = await start();
    expect(local.port).toBeGreaterThan(0);
    expect(local.endpoint).toBe(`http://127.0.0.1:${local.port}`);
  });

  it('keeps data across restarts when given a dbPath', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osusume-dynalite-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const names = defaultTableNames('persist');
    const first = await start(dir);
    await createTables(first.client, names);
    await new DynamoNgItemStore(first.doc, { tableName: names.ngItems }).put({
      itemId: 'kept',
      createdAt: 1,
    });
    first.client.destroy();
    await first.local.stop();

    const second = await start(dir);
    await createTables(second.client, names);
    expect(await new DynamoNgItemStore(second.doc, { tableName: names.ngItems }).allIds()).toEqual(
      new Set(['kept']),
    );
  });
});

type ResourceOwner = { attachResource(r: object): void; detachResource(r: object): void };

/** The store iterators open right now: abstract-level attaches each to its database until it is closed. */
function trackOpenIterators(): () => number {
  const open = new Set<object>();
  for (const level of dynaliteAbstractLevels()) {
    const owner = level.AbstractLevel.prototype as ResourceOwner;
    const { attachResource, detachResource } = owner;
    const iterators = [level.AbstractIterator, level.AbstractKeyIterator, level.AbstractValueIterator];
    owner.attachResource = function (this: ResourceOwner, r: object) {
      if (iterators.some((I) => r instanceof I)) open.add(r);
      attachResource.call(this, r);
    };
    owner.detachResource = function (this: ResourceOwner, r: object) {
      open.delete(r);
      detachResource.call(this, r);
    };
    cleanups.push(() => {
      owner.attachResource = attachResource;
      owner.detachResource = detachResource;
    });
  }
  return () => open.size;
}

describe('the embedded store', () => {
  it.each(['disk', 'memory'])('closes the iterator of every Query and Scan (%s store)', async (kind) => {
    const openIterators = trackOpenIterators();
    const dir = kind === 'disk' ? mkdtempSync(join(tmpdir(), 'osusume-dynalite-')) : undefined;
    if (dir) cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { client, doc } = await start(dir);
    const names = defaultTableNames('iterators');
    await createTables(client, names, { only: ['events'] });
    const events = new DynamoEventStore(doc, { tableName: names.events, ttlDays: 90 });
    const now = Date.now();
    const event = (i: number) => ({
      eventId: `e${i}`,
      userId: 'u1',
      sessionId: 's1',
      eventType: 'view' as const,
      rawEventType: 'view',
      itemId: `i${i}`,
      sentAt: now - i,
    });
    await events.putEvents([event(1), event(2), event(3)]);
    await events.putImpressions([
      {
        recommendationId: 'r1',
        userId: 'u1',
        slot: 'home',
        experiment: 'x',
        arm: 'cf',
        items: ['i1'],
        ts: now,
      },
    ]);
    expect(await events.recentEvents('u1', 2)).toHaveLength(2); // stops at the Limit
    expect(await events.recentEvents('u1', 10)).toHaveLength(3); // reads the range to its end
    expect(await events.recentEvents('nobody', 10)).toEqual([]); // an empty range
    expect(await events.impressionsBetween(now - 1, now + 1)).toHaveLength(1); // a parallel Scan
    await vi.waitFor(() => expect(openIterators()).toBe(0));
  });
});

describe('createTables', () => {
  it('creates every table ACTIVE with the defined key schema', async () => {
    const { client } = await start();
    const names = defaultTableNames('t');
    await createTables(client, names);
    const definitions = tableDefinitions(names);
    for (const table of LOGICAL_TABLES) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: names[table] }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual(definitions[table].KeySchema);
    }
  });

  it('is idempotent', async () => {
    const { client } = await start();
    const names = defaultTableNames('t');
    await createTables(client, names);
    await createTables(client, names);
    const { TableNames } = await client.send(new ListTablesCommand({}));
    expect(TableNames?.sort()).toEqual(Object.values(names).sort());
  });
});

describe('defaultTableNames', () => {
  // serverless.yml's stage variable, spelled as it appears in the template.
  const SLS_STAGE = ['$', '{sls:stage}'].join('');

  it('names every table as serverless.yml does', () => {
    const yml = readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8');
    for (const name of Object.values(defaultTableNames(SLS_STAGE)))
      expect(yml).toContain(`TableName: ${name}\n`);
  });

  it('has one configuration variable per logical table', () => {
    expect(Object.keys(TABLE_ENV).sort()).toEqual([...LOGICAL_TABLES].sort());
  });
});
