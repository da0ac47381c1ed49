import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeDynamoClients, USER_AGENT_MIDDLEWARE } from '../../shared/adapters/dynamodb/clients.js';
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
import { workerDynamoHandler } from '../../shared/adapters/local/dynalite-transport.js';
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

describe('the worker thread', () => {
  const event = (i: number, sessionId = 's1') => ({
    eventId: `w${i}`,
    sessionId,
    eventType: 'view' as const,
    rawEventType: 'view',
    itemId: `i${i}`,
    sentAt: 1_700_000_000_000 + i,
  });

  it("serves this process's clients over its port, on the data TCP clients see", async () => {
    const local = await startLocalDynamo({ worker: true });
    cleanups.push(() => local.stop());
    const handler = workerDynamoHandler(local.endpoint, 1000);
    expect(handler).toBeDefined();
    const overPort = makeDynamoClients(local.endpoint, undefined, undefined, handler);
    const overTcp = makeDynamoClients(local.endpoint);
    cleanups.push(
      () => overPort.client.destroy(),
      () => overTcp.client.destroy(),
    );
    const names = defaultTableNames('port');
    await createTables(overPort.client, names, { only: ['events'] });
    const viaPort = new DynamoEventStore(overPort.doc, { tableName: names.events, ttlDays: 90 });
    const viaTcp = new DynamoEventStore(overTcp.doc, { tableName: names.events, ttlDays: 90 });
    expect((await viaPort.putEvents([event(1), event(2)])).stored).toHaveLength(2);
    expect((await viaTcp.sessionEvents('s1', 10)).map((e) => e.eventId)).toEqual(['w2', 'w1']);
    // a conditional write that fails over the port is the same typed duplicate
    expect(await viaPort.putEvents([{ ...event(1), itemId: 'other' }])).toEqual({
      stored: [],
      duplicates: ['w1'],
    });
    // DynamoDB's own errors come back as they do over HTTP
    await expect(viaPort.sessionEvents('s1', 0)).rejects.toThrow(/ValidationException/);
    // another endpoint (another process's dynalite) is not served over this port
    expect(workerDynamoHandler('http://127.0.0.1:1', 1000)).toBeUndefined();
  });

  it('fails requests over its port at once when stopped', async () => {
    const local = await startLocalDynamo({ worker: true });
    const handler = workerDynamoHandler(local.endpoint, 1000);
    const { client, doc } = makeDynamoClients(
      local.endpoint,
      undefined,
      { timeoutMs: 1000, maxAttempts: 1 },
      handler,
    );
    cleanups.push(() => client.destroy());
    const names = defaultTableNames('stopped');
    await createTables(client, names, { only: ['events'] });
    await local.stop();
    const started = Date.now();
    await expect(
      new DynamoEventStore(doc, { tableName: names.events, ttlDays: 90 }).sessionEvents('s1', 10),
    ).rejects.toThrow(/stopped/);
    expect(Date.now() - started).toBeLessThan(500);
    expect(workerDynamoHandler(local.endpoint, 1000)).toBeUndefined();
  });
});

describe('clients of a local endpoint', () => {
  it('send no User-Agent to the embedded DynamoDB and still read and write it', async () => {
    const local = await startLocalDynamo({ worker: true });
    cleanups.push(() => local.stop());
    const clients = makeDynamoClients(
      local.endpoint,
      undefined,
      undefined,
      workerDynamoHandler(local.endpoint, 1000),
    );
    cleanups.push(() => clients.client.destroy());
    const seen: Record<string, string>[] = [];
    for (const c of [clients.client, clients.doc.fast])
      c.middlewareStack.add(
        (next) => async (args) => {
          seen.push({ ...(args.request as { headers: Record<string, string> }).headers });
          return next(args);
        },
        { step: 'finalizeRequest', name: 'recordHeaders' },
      );
    const names = defaultTableNames('ua');
    await createTables(clients.client, names, { only: ['events'] });
    const store = new DynamoEventStore(clients.doc, { tableName: names.events, ttlDays: 90 });
    await store.putEvents([
      {
        eventId: 'ua1',
        sessionId: 's1',
        eventType: 'view',
        rawEventType: 'view',
        itemId: 'i1',
        sentAt: 1_700_000_000_000,
      },
    ]);
    expect((await store.sessionEvents('s1', 10)).map((e) => e.eventId)).toEqual(['ua1']);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const headers of seen) {
      expect(headers['x-amz-target']).toMatch(/^DynamoDB_20120810\./);
      expect(headers['user-agent']).toBeUndefined();
      expect(headers['x-amz-user-agent']).toBeUndefined();
    }
  });

  it('keep the User-Agent middleware for AWS', () => {
    const aws = makeDynamoClients(undefined, 'ap-northeast-1');
    cleanups.push(() => aws.client.destroy());
    for (const c of [aws.client, aws.doc.fast])
      expect(c.middlewareStack.identify().some((m) => m.startsWith(USER_AGENT_MIDDLEWARE))).toBe(true);
  });
});

describe('table reads', () => {
  /** A table with 30 items under pk `p` (sk `s00`..`s29`, n = index, odd ones tagged) and 5 under `q`. */
  async function seeded() {
    const { client } = await start();
    const names = defaultTableNames('reads');
    await createTables(client, names, { only: ['events'] });
    const TableName = names.events;
    for (let i = 0; i < 30; i++)
      await client.send(
        new PutItemCommand({
          TableName,
          Item: {
            pk: { S: 'p' },
            sk: { S: `s${String(i).padStart(2, '0')}` },
            n: { N: String(i) },
            ...(i % 2 ? { tag: { S: 'odd' } } : {}),
          },
        }),
      );
    for (let i = 0; i < 5; i++)
      await client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'q' }, sk: { S: `s${i}` } } }));
    return { client, TableName };
  }
  const key = { KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } } };
  const sks = (items?: Record<string, AttributeValue>[]) => (items ?? []).map((i) => i.sk.S);

  it('pages a Query by Limit and ExclusiveStartKey, newest first, to the end', async () => {
    const { client, TableName } = await seeded();
    const seen: (string | undefined)[] = [];
    let start: Record<string, AttributeValue> | undefined;
    let pages = 0;
    do {
      const out = await client.send(
        new QueryCommand({ TableName, ...key, ScanIndexForward: false, Limit: 7, ExclusiveStartKey: start }),
      );
      seen.push(...sks(out.Items));
      expect(out.Count).toBe(out.Items?.length);
      start = out.LastEvaluatedKey;
      pages++;
    } while (start);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `s${String(29 - i).padStart(2, '0')}`));
    // 7 + 7 + 7 + 7 + 2: a page that hits its Limit says where to go on, the last one does not
    expect(pages).toBe(5);
  });

  it('answers a full last page with a LastEvaluatedKey, as DynamoDB does', async () => {
    const { client, TableName } = await seeded();
    const out = await client.send(new QueryCommand({ TableName, ...key, Limit: 30 }));
    expect(out.Count).toBe(30);
    expect(out.LastEvaluatedKey).toEqual({ pk: { S: 'p' }, sk: { S: 's29' } });
    const after = await client.send(
      new QueryCommand({ TableName, ...key, Limit: 30, ExclusiveStartKey: out.LastEvaluatedKey }),
    );
    expect(after.Count).toBe(0);
    expect(after.LastEvaluatedKey).toBeUndefined();
  });

  it('filters after the Limit and projects, counting what it scanned', async () => {
    const { client, TableName } = await seeded();
    const out = await client.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
        FilterExpression: 'tag = :odd',
        ProjectionExpression: 'sk, n',
        ExpressionAttributeValues: { ':p': { S: 'p' }, ':s': { S: 's' }, ':odd': { S: 'odd' } },
        Limit: 10,
        ReturnConsumedCapacity: 'INDEXES',
      }),
    );
    expect(out.ScannedCount).toBe(10);
    expect(sks(out.Items)).toEqual(['s01', 's03', 's05', 's07', 's09']);
    expect(out.Items?.[0]).toEqual({ sk: { S: 's01' }, n: { N: '1' } });
    expect(out.LastEvaluatedKey).toEqual({ pk: { S: 'p' }, sk: { S: 's09' } });
    expect(out.ConsumedCapacity).toEqual({ CapacityUnits: 0.5, TableName, Table: { CapacityUnits: 0.5 } });
  });

  it('counts without items for Select COUNT', async () => {
    const { client, TableName } = await seeded();
    const out = await client.send(new QueryCommand({ TableName, ...key, Select: 'COUNT' }));
    expect(out.Count).toBe(30);
    expect(out.Items).toBeUndefined();
  });

  it('scans every item once over parallel segments', async () => {
    const { client, TableName } = await seeded();
    const all: (string | undefined)[] = [];
    for (let Segment = 0; Segment < 3; Segment++) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await client.send(
          new ScanCommand({ TableName, Segment, TotalSegments: 3, Limit: 4, ExclusiveStartKey: start }),
        );
        all.push(...(out.Items ?? []).map((i) => `${i.pk.S}/${i.sk.S}`));
        start = out.LastEvaluatedKey;
      } while (start);
    }
    expect(all).toHaveLength(35);
    expect(new Set(all).size).toBe(35);
  });
});

describe('table descriptions', () => {
  it('follow UpdateTable and DeleteTable although dynalite keeps them in memory', async () => {
    const { client, doc } = await start();
    const names = defaultTableNames('cached');
    await createTables(client, names, { only: ['events'] });
    const events = new DynamoEventStore(doc, { tableName: names.events, ttlDays: 90 });
    expect(await events.sessionEvents('s1', 10)).toEqual([]); // the description is read (and kept)
    await client.send(
      new UpdateTableCommand({
        TableName: names.events,
        BillingMode: 'PROVISIONED',
        ProvisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 3 },
      }),
    );
    await vi.waitFor(async () => {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: names.events }));
      expect(Table?.ProvisionedThroughput?.ReadCapacityUnits).toBe(7);
    });
    await client.send(new DeleteTableCommand({ TableName: names.events }));
    await vi.waitFor(() =>
      expect(events.sessionEvents('s1', 10)).rejects.toThrow(/ResourceNotFound|not found/),
    );
  });
});

describe('expressions parsed once', () => {
  /** A table of one hash key `pk` and one range key `sk`, with items `a#1..3` and `b#1`. */
  async function seeded() {
    const { client } = await start();
    const TableName = `expr-${Math.random().toString(36).slice(2)}`;
    await client.send(
      new CreateTableCommand({
        TableName,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    // CreateTable answers while the table is CREATING (dynalite's 0 ms still waits a tick): items go in once ACTIVE
    await vi.waitFor(async () => {
      const { Table } = await client.send(new DescribeTableCommand({ TableName }));
      expect(Table?.TableStatus).toBe('ACTIVE');
    });
    for (const [pk, sk, n] of [
      ['a', 'ev#1', 1],
      ['a', 'ev#2', 2],
      ['a', 'x#3', 3],
      ['b', 'ev#1', 4],
    ] as const)
      await client.send(
        new PutItemCommand({ TableName, Item: { pk: { S: pk }, sk: { S: sk }, n: { N: String(n) } } }),
      );
    const query = (values: Record<string, AttributeValue>, extra: Partial<QueryCommandInput> = {}) =>
      client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ev)',
          ExpressionAttributeValues: values,
          ...extra,
        }),
      );
    return { client, TableName, query };
  }

  it('answers each request with its own attribute values when the expression repeats', async () => {
    const { query } = await seeded();
    const parser = createRequire(createRequire(import.meta.url).resolve('dynalite'))('./db/conditionParser');
    expect(parser.parse.osusumeCache).toBe(true);
    const keys = async (pk: string) =>
      ((await query({ ':pk': { S: pk }, ':ev': { S: 'ev#' } })).Items ?? []).map((i) => i.sk.S);
    expect(await keys('a')).toEqual(['ev#1', 'ev#2']);
    expect(await keys('b')).toEqual(['ev#1']);
    expect(await keys('a')).toEqual(['ev#1', 'ev#2']);
    expect(await keys('c')).toEqual([]);
  });

  it('still rejects a repeated expression whose values have another type', async () => {
    const { query } = await seeded();
    await query({ ':pk': { S: 'a' }, ':ev': { S: 'ev#' } });
    await expect(query({ ':pk': { S: 'a' }, ':ev': { N: '1' } })).rejects.toThrow(
      /Incorrect operand type for operator or function; operator or function: begins_with/,
    );
  });

  it('still rejects an attribute value the repeated expression does not use', async () => {
    const { query } = await seeded();
    await query({ ':pk': { S: 'a' }, ':ev': { S: 'ev#' } });
    await expect(query({ ':pk': { S: 'a' }, ':ev': { S: 'ev#' }, ':spare': { S: 'x' } })).rejects.toThrow(
      /unused in expressions: keys: \{:spare\}/,
    );
  });

  it('still checks the bounds of every BETWEEN', async () => {
    const { query } = await seeded();
    const between = (lo: string, hi: string) =>
      query(
        { ':pk': { S: 'a' }, ':lo': { S: lo }, ':hi': { S: hi } },
        { KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi' },
      );
    expect((await between('ev#1', 'ev#9')).Items?.map((i) => i.sk.S)).toEqual(['ev#1', 'ev#2']);
    await expect(between('ev#9', 'ev#1')).rejects.toThrow(/upper bound to be greater than or equal/);
  });

  it('applies a repeated condition and filter to each request', async () => {
    const { client, TableName, query } = await seeded();
    const put = (n: number) =>
      client.send(
        new PutItemCommand({
          TableName,
          Item: { pk: { S: 'c' }, sk: { S: 'ev#1' }, n: { N: String(n) } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put(1);
    await expect(put(2)).rejects.toThrow(/conditional request failed/);
    const over = async (min: number) =>
      (
        await query(
          { ':pk': { S: 'a' }, ':ev': { S: 'ev#' }, ':min': { N: String(min) } },
          { FilterExpression: '#n > :min', ExpressionAttributeNames: { '#n': 'n' } },
        )
      ).Items?.map((i) => i.n.N);
    expect(await over(0)).toEqual(['1', '2']);
    expect(await over(1)).toEqual(['2']);
    await expect(
      query(
        { ':pk': { S: 'a' }, ':ev': { S: 'ev#' }, ':min': { N: '0' } },
        { FilterExpression: '#n > :min', ExpressionAttributeNames: { '#n': 'n', '#spare': 'x' } },
      ),
    ).rejects.toThrow(/unused in expressions: keys: \{#spare\}/);
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
