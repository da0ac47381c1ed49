/**
 * DynamoDB storage figures for the recommendations table.
 * 1. Item size (DynamoDB's accounting, via dynalite's implementation of it) of a ranked list under three
 *    encodings, for list lengths 25/100/500: parallel lists (what the adapters store), a list of
 *    [itemId, score] pairs, and a list of {itemId, score} maps.
 * 2. Throughput of the DynamoDB adapters against in-process dynalite (a local emulator, so the figures
 *    measure adapter + emulator CPU, not AWS latency).
 *   npx tsx bench/store-sizes.ts [--users 2000] [--length 25]
 */
import '../shared/polyfills.js';
import { createRequire } from 'node:module';
import { toListItem } from '../shared/adapters/dynamodb/ranked-list.js';
import { marshall } from '@aws-sdk/util-dynamodb';
import { runBounded } from '../shared/adapters/dynamodb/batch-writer.js';
import { makeDynamoClients } from '../shared/adapters/dynamodb/clients.js';
import { DynamoPopularityStore } from '../shared/adapters/dynamodb/popularity-store.js';
import { DynamoRecommendationStore } from '../shared/adapters/dynamodb/recommendation-store.js';
import { defaultTableNames } from '../shared/adapters/dynamodb/tables.js';
import { createTables, startLocalDynamo } from '../shared/adapters/local/dynalite-server.js';
import { Rng } from '../shared/domain/random.js';
import type { ScoredItem } from '../shared/ports/types.js';

const require = createRequire(import.meta.url);
const { itemSize } = require('dynalite/db') as { itemSize: (item: unknown) => number };

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const USERS = arg('users', 2000);
const LENGTH = arg('length', 25);

function list(rng: Rng, length: number): ScoredItem[] {
  const scores = Array.from({ length }, () => rng.next() * 5).sort((a, b) => b - a);
  return scores.map((score) => ({ itemId: `item-${100000 + rng.int(900000)}`, score }));
}

const rng = new Rng(1);
const pk = 'rec#als#20260101T000000Z#user-123456';
console.log('item size in bytes (DynamoDB accounting), ids like item-123456, float64 scores');
console.log('length  stored (JSON ids + float64 bytes)  parallel-lists  pairs  maps   (limit 409600)');
for (const length of [25, 100, 500]) {
  const items = list(rng, length);
  const base = { pk, expiresAt: 1_800_000_000 };
  const parallel = { ...base, itemIds: items.map((i) => i.itemId), scores: items.map((i) => i.score) };
  const pairs = { ...base, items: items.map((i) => [i.itemId, i.score]) };
  const maps = { ...base, items: items.map((i) => ({ itemId: i.itemId, score: i.score })) };
  const size = (x: object) => itemSize(marshall(x));
  const stored = toListItem(pk, items, base.expiresAt);
  console.log(
    `${String(length).padStart(6)}  ${String(size(stored)).padStart(33)}  ${String(size(parallel)).padStart(14)}  ${String(size(pairs)).padStart(5)}  ${String(size(maps)).padStart(5)}`,
  );
}

const local = await startLocalDynamo();
const { client, doc } = makeDynamoClients(local.endpoint);
const names = defaultTableNames('bench');
await createTables(client, names, { only: ['recommendations'] });
const lists = Array.from({ length: USERS }, (_, u) => ({ userId: `user-${u}`, items: list(rng, LENGTH) }));

console.log(`\ndynalite throughput, ${USERS} user lists x ${LENGTH} items`);
for (const concurrency of [1, 4, 8]) {
  const store = new DynamoRecommendationStore(doc, {
    tableName: names.recommendations,
    batch: { concurrency },
  });
  const t = performance.now();
  await store.putUserLists('als', `c${concurrency}`, lists);
  const s = (performance.now() - t) / 1000;
  console.log(
    `putUserLists, ${concurrency} batches in flight: ${s.toFixed(2)} s (${Math.round(USERS / s)} lists/s)`,
  );
}
const store = new DynamoRecommendationStore(doc, { tableName: names.recommendations });
const reads = lists.slice(0, Math.min(USERS, 1000));
let t = performance.now();
await runBounded(reads, 8, (l) => store.getUserList('als', 'c8', l.userId));
let ms = performance.now() - t;
console.log(
  `getUserList, 8 in flight: ${(ms / reads.length).toFixed(2)} ms/read (${Math.round((reads.length / ms) * 1000)} reads/s)`,
);

const pop = new DynamoPopularityStore(doc, { tableName: names.recommendations });
const segments = Array.from({ length: 300 }, (_, i) => ({
  segment: `CATEGORY=c${i}`,
  items: list(rng, 100),
}));
await pop.putSegmentLists('p1', segments);
t = performance.now();
const got = await pop.getSegmentLists(
  'p1',
  segments.map((s) => s.segment),
);
ms = performance.now() - t;
console.log(
  `getSegmentLists of ${got.size} segments x 100 items (3 BatchGetItem calls): ${ms.toFixed(0)} ms`,
);

client.destroy();
await local.stop();
