/**
 * Item-CF at shop scale on generated data (no CSV): power-law item popularity, clustered user taste.
 * Measures neighbour computation, scoring time per 1k users and peak RSS, then derives a shard plan for
 * the nightly pipeline (user shards scored in parallel Lambdas of <= 10 GB and <= 15 min).
 *   npx tsx bench/cf-scale.ts [--users 1000000] [--items 100000] [--per-user 20] [--seed 7]
 */
import { availableParallelism, loadavg } from 'node:os';
import {
  computeItemNeighbours,
  NeighbourModel,
  serializeNeighbourModel,
} from '../shared/domain/algorithms/item-cf.js';
import { transposeCsr } from '../shared/domain/data/csr.js';
import type { CsrMatrix } from '../shared/domain/data/dataset.js';
import { Rng } from '../shared/domain/random.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const USERS = arg('users', 1_000_000);
const ITEMS = arg('items', 100_000);
const PER_USER = arg('per-user', 20);
const SEED = arg('seed', 7);
const CLUSTERS = 200;

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/**
 * user × item CSR: each user has a taste cluster; 80% of events come from that cluster, 20% from the
 * whole catalogue; within either pool the rank is drawn as floor(n · u³) (a steep power law).
 * Lengths are exponential with mean PER_USER (many light users, a few heavy ones). Duplicates removed.
 */
function generate(): CsrMatrix {
  const rng = new Rng(SEED);
  const perCluster = Math.floor(ITEMS / CLUSTERS);
  // a random permutation so that popular items are not index-contiguous
  const perm = rng.shuffle(Int32Array.from({ length: ITEMS }, (_, i) => i));
  const indptr = new Int32Array(USERS + 1);
  let cap = USERS * PER_USER * 1.1;
  let indices = new Int32Array(cap);
  let nnz = 0;
  for (let u = 0; u < USERS; u++) {
    const c = rng.int(CLUSTERS);
    const len = 1 + Math.floor(-Math.log(1 - rng.next()) * (PER_USER - 1));
    const start = nnz;
    if (nnz + len > cap) {
      cap = Math.ceil((nnz + len) * 1.5);
      const next = new Int32Array(cap);
      next.set(indices.subarray(0, nnz));
      indices = next;
    }
    for (let e = 0; e < len; e++) {
      const x = rng.next();
      const r = rng.next() ** 3;
      const item = x < 0.8 ? c * perCluster + Math.floor(r * perCluster) : Math.floor(r * ITEMS);
      indices[nnz++] = perm[item];
    }
    // sort and dedupe this user's row
    const row = indices.subarray(start, nnz).sort();
    let w = 0;
    for (let k = 0; k < row.length; k++) if (k === 0 || row[k] !== row[k - 1]) row[w++] = row[k];
    nnz = start + w;
    indptr[u + 1] = nnz;
  }
  const data = new Float32Array(nnz).fill(1);
  return { rows: USERS, cols: ITEMS, indptr, indices: indices.slice(0, nnz), data };
}

console.log(
  `machine: ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)} (shared with other jobs)`,
);
let c0 = cpuMs();
let t0 = performance.now();
const ui = generate();
const itemUsers = transposeCsr(ui);
const nnz = ui.indices.length;
let sumSq = 0;
for (let u = 0; u < USERS; u++) sumSq += (ui.indptr[u + 1] - ui.indptr[u]) ** 2;
console.log(
  `generated ${USERS} users × ${ITEMS} items, ${nnz} interactions (Σ|u|² = ${(sumSq / 1e6).toFixed(0)}M pair updates) ` +
    `in ${(performance.now() - t0).toFixed(0)} ms wall / ${(cpuMs() - c0).toFixed(0)} ms cpu`,
);

c0 = cpuMs();
t0 = performance.now();
const lists = computeItemNeighbours(itemUsers);
const nbWall = performance.now() - t0;
const nbCpu = cpuMs() - c0;
console.log(
  `neighbours: ${lists.indices.length} entries (${(lists.indices.length / ITEMS).toFixed(1)}/item), ` +
    `${(nbWall / 1000).toFixed(1)} s wall / ${(nbCpu / 1000).toFixed(1)} s cpu`,
);

const itemIds = Array.from({ length: ITEMS }, (_, i) => `i${i}`);
const model = new NeighbourModel(itemIds, lists, {
  indptr: ui.indptr,
  indices: ui.indices,
  weights: ui.data,
});
const modelBytes = serializeNeighbourModel({ kind: 1, nItems: ITEMS, lists }).byteLength;

const SAMPLE = Math.min(USERS, 20_000);
const rng = new Rng(SEED + 1);
let returned = 0;
// warm-up so JIT compilation is not billed
for (let s = 0; s < 500; s++) model.recommend(rng.int(USERS), 50);
c0 = cpuMs();
t0 = performance.now();
for (let s = 0; s < SAMPLE; s++) returned += model.recommend(rng.int(USERS), 50).items.length;
const scWall = ((performance.now() - t0) / SAMPLE) * 1000;
const scCpu = ((cpuMs() - c0) / SAMPLE) * 1000;
console.log(
  `scoring top-50: ${scWall.toFixed(1)} ms wall / ${scCpu.toFixed(1)} ms cpu per 1k users ` +
    `(${SAMPLE} random users, ${(returned / SAMPLE).toFixed(1)} items returned on average)`,
);
console.log(`peak RSS (generation + both CSRs + neighbour build + scoring): ${mb(peakRss())}`);

// ---- shard plan ----------------------------------------------------------------------------------
// Memory per shard = model (neighbour lists) + the shard's histories + output lists + Node baseline.
// Time per shard uses CPU time (one core; a Lambda's JS thread is single-threaded) × 1.5 safety margin,
// plus reading the model and histories (~100 MB/s from S3 assumed).
const bytesPerUserHist = (4 + 8 * (nnz / USERS)) * 1; // indptr + (index, weight)
const bytesPerUserOut = 50 * 8 + 64; // top-50 (id index + score) plus record overhead
const NODE_BASE = 150 * 2 ** 20;
const targetSeconds = 5 * 60; // leave a wide margin below the 15-minute limit
const perUserSec = ((scCpu / 1000) * 1.5) / 1000;
const loadSec = (bytes: number) => bytes / (100 * 2 ** 20);
let shardUsers = Math.floor((targetSeconds - loadSec(modelBytes)) / (perUserSec + loadSec(bytesPerUserHist)));
shardUsers = Math.max(1000, Math.min(shardUsers, USERS, 250_000));
const shards = Math.ceil(USERS / shardUsers);
const shardMem = modelBytes + shardUsers * (bytesPerUserHist + bytesPerUserOut) + NODE_BASE;
const shardSec = loadSec(modelBytes) + shardUsers * (perUserSec + loadSec(bytesPerUserHist));
const lambdaMb = Math.min(10240, Math.max(1024, Math.ceil((shardMem * 1.5) / 2 ** 20 / 64) * 64));
console.log('shard plan (nightly scoring):');
console.log(
  `  model (neighbour lists, binary): ${mb(modelBytes)}; histories ${mb(bytesPerUserHist * USERS)} in total`,
);
console.log(
  `  ${shards} shards × ${shardUsers} users; est. ${shardSec.toFixed(0)} s per shard (cpu × 1.5 + S3 reads), ` +
    `memory ≈ ${mb(shardMem)} (model + shard histories + outputs + Node) → Lambda ${lambdaMb} MB`,
);
const nbLimit = nbCpu / 1000 / 60;
console.log(
  `  neighbour build: ${nbLimit.toFixed(1)} cpu-min for all ${ITEMS} items in one process` +
    (nbLimit * 1.5 > 15
      ? ' → exceeds one Lambda: split by item range (rows are independent) or run it in a container task'
      : ' → fits one Lambda (15-min limit) with margin'),
);
