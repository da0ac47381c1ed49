/**
 * How long an NG item added through one Lambda can still be served by another (issue 12 item 4).
 * Two NgList caches over the same ngItems table in embedded DynamoDB (dynalite on its worker thread,
 * as `npm start` runs it) stand for two Lambdas: A accepts the PUT, B serves requests every 5 ms. The
 * delay is from the PUT's answer to B's first list containing the item; it is bounded by
 * NG_CACHE_TTL_SECONDS plus one scan. Also prints the scan time per NG-list size.
 *   npx tsx bench/ng-propagation.ts [--ttl-ms 1000] [--trials 10] [--sizes 100,1000,10000]
 */
import '../shared/polyfills.js';
import { runBounded } from '../shared/adapters/dynamodb/batch-writer.js';
import { makeDynamoClients } from '../shared/adapters/dynamodb/clients.js';
import { DynamoNgItemStore } from '../shared/adapters/dynamodb/ng-item-store.js';
import { defaultTableNames } from '../shared/adapters/dynamodb/tables.js';
import { createTables, startLocalDynamo } from '../shared/adapters/local/dynalite-server.js';
import { NgList } from '../shared/use-cases/candidate-sources.js';
import { putNgItem } from '../shared/use-cases/ng-items.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const TTL_MS = Number(arg('ttl-ms', '1000'));
const TRIALS = Number(arg('trials', '10'));
const SIZES = arg('sizes', '100,1000,10000').split(',').map(Number);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

const local = await startLocalDynamo({ worker: true });
const { client, doc } = makeDynamoClients(local.endpoint);
console.log(
  `NG propagation between two processes, TTL ${TTL_MS} ms, ${TRIALS} trials per size (dynalite, 2-core VM)`,
);
console.log('| NG items | scan ms p50 | scan ms max | delay ms mean | delay ms max | bound TTL + max scan |');
console.log('|---|---|---|---|---|---|');
for (const [k, size] of SIZES.entries()) {
  const names = defaultTableNames(`ngprop${k}`);
  await createTables(client, names, { only: ['ngItems'] });
  const store = new DynamoNgItemStore(doc, { tableName: names.ngItems });
  await runBounded(
    Array.from({ length: size }, (_, i) => i),
    8,
    (i) => store.put({ itemId: `seed-${String(i).padStart(6, '0')}`, createdAt: 0 }),
  );
  const scans: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await store.allIds();
    scans.push(performance.now() - t);
  }
  const a = new NgList(store, TTL_MS);
  const b = new NgList(store, TTL_MS);
  const delays: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    await b.ids();
    // the PUT lands at a random point of B's TTL window
    await sleep(Math.random() * TTL_MS);
    const itemId = `new-${k}-${t}`;
    await putNgItem({ ngItems: store, ngList: a }, itemId, undefined);
    const answered = performance.now();
    if (!(await a.ids()).ids.has(itemId)) throw new Error('the accepting process serves the new NG item');
    for (;;) {
      const { ids } = await b.ids();
      if (ids.has(itemId)) break;
      await sleep(5);
    }
    delays.push(performance.now() - answered);
  }
  const mean = delays.reduce((x, y) => x + y, 0) / delays.length;
  const maxScan = Math.max(...scans);
  console.log(
    `| ${size} | ${pct(scans, 0.5).toFixed(1)} | ${maxScan.toFixed(1)} | ${mean.toFixed(0)} | ${Math.max(...delays).toFixed(0)} | ${(TTL_MS + maxScan).toFixed(0)} |`,
  );
}
client.destroy();
await local.stop();
