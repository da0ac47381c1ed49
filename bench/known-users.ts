/**
 * The cold-user set of the Personalize arm: time and memory to build the Bloom filter of N trained users
 * (what PlanRetraining does after streaming the ids), shard count and size, false-positive rate, and the
 * per-request check once a shard is cached. `npx tsx bench/known-users.ts [maxUsers]`.
 */
import { KnownUsersBuilder, mayContain, shardOf } from '../shared/domain/personalize/known-users.js';

const max = Number(process.argv[2] ?? 10_000_000);
const sizes = [100_000, 1_000_000, 10_000_000].filter((n) => n <= max);
const id = (i: number) => `u${String(i).padStart(9, '0')}`;

console.log(
  '| trained users | shards | KiB per shard (base64) | build s | heap MiB | false positives | check µs |',
);
console.log('|---|---|---|---|---|---|---|');
for (const n of sizes) {
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  const b = new KnownUsersBuilder('bench', n);
  for (let i = 0; i < n; i++) b.add(id(i));
  const buildS = (performance.now() - t0) / 1000;
  const heap = (process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heap0) / 2 ** 20;
  const has = (u: string) => mayContain(b.layout, b.shards[shardOf(u, b.layout.shards)], u);
  const probes = 200_000;
  let fp = 0;
  const t1 = performance.now();
  for (let i = 0; i < probes; i++) if (has(`visitor-${i}`)) fp++;
  const checkUs = ((performance.now() - t1) * 1000) / probes;
  const kib = Buffer.from(b.shards[0]).toString('base64').length / 1024;
  console.log(
    `| ${n.toLocaleString('en')} | ${b.layout.shards} | ${kib.toFixed(0)} | ${buildS.toFixed(2)} | ${heap.toFixed(1)} | ${((fp / probes) * 100).toFixed(2)} % | ${checkUs.toFixed(2)} |`,
  );
}
