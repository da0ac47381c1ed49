/**
 * Item-CF (and session model) accuracy and speed on MovieLens 100K.
 * Protocol: per-user random 80/20 split (seeded), every rating is an interaction, training items removed,
 * precision@10 / recall@10 averaged over users with >= 1 test item.
 *   npx tsx bench/cf-speed.ts            default model + timing
 *   npx tsx bench/cf-speed.ts --grid     sweep of similarity variants
 */
import { readFileSync } from 'node:fs';
import { type ItemCfOptions, trainItemCf } from '../shared/domain/algorithms/item-cf.js';
import type { Recommender } from '../shared/domain/algorithms/recommender.js';
import { DatasetBuilder, filterInteractions } from '../shared/domain/data/builder.js';
import type { Dataset } from '../shared/domain/data/dataset.js';
import { Rng } from '../shared/domain/random.js';

const DATA = '/work/shared/data/ml-100k/u.data';

function loadMl100k(): Dataset {
  const b = new DatasetBuilder();
  for (const line of readFileSync(DATA, 'utf8').split('\n')) {
    if (line === '') continue;
    const [u, i, , ts] = line.split('\t');
    b.addInteraction(u, i, Number(ts));
  }
  return b.build();
}

/** Per-user split: `testOf(row)` true for test rows. random: shuffled 80/20; temporal: last 20% by time. */
function splitPerUser(ds: Dataset, mode: 'random' | 'temporal', seed = 42): Uint8Array {
  const { user, timestamp, length } = ds.interactions;
  const byUser: number[][] = Array.from({ length: ds.users.size }, () => []);
  for (let r = 0; r < length; r++) byUser[user[r]].push(r);
  const rng = new Rng(seed);
  const isTest = new Uint8Array(length);
  for (const rows of byUser) {
    if (mode === 'random') rng.shuffle(rows);
    else rows.sort((a, b) => timestamp[a] - timestamp[b] || a - b);
    const nTrain = Math.round(rows.length * 0.8);
    for (let j = nTrain; j < rows.length; j++) isTest[rows[j]] = 1;
  }
  return isTest;
}

function evaluate(ds: Dataset, isTest: Uint8Array, model: Recommender, k = 10) {
  const test: Set<number>[] = Array.from({ length: ds.users.size }, () => new Set());
  for (let r = 0; r < ds.interactions.length; r++)
    if (isTest[r]) test[ds.interactions.user[r]].add(ds.interactions.item[r]);
  let p = 0;
  let rec = 0;
  let users = 0;
  const t0 = performance.now();
  for (let u = 0; u < ds.users.size; u++) {
    if (test[u].size === 0) continue;
    const top = model.recommend(u, k);
    let hits = 0;
    for (const it of top.items) if (test[u].has(it)) hits++;
    p += hits / k;
    rec += hits / test[u].size;
    users++;
  }
  return { precision: p / users, recall: rec / users, users, scoreMs: performance.now() - t0 };
}

function runCf(ds: Dataset, isTest: Uint8Array, train: Dataset, opts: ItemCfOptions) {
  const t0 = performance.now();
  const model = trainItemCf(train, opts);
  const trainMs = performance.now() - t0;
  const ev = evaluate(ds, isTest, model);
  return { ...ev, trainMs };
}

const fmt = (x: number) => x.toFixed(4);

const ds = loadMl100k();
console.log(
  `ML-100K: ${ds.interactions.length} interactions, ${ds.users.size} users, ${ds.items.size} items`,
);
const isTest = splitPerUser(ds, 'random', 42);
const train = filterInteractions(ds, (r) => isTest[r] === 0);

if (process.argv.includes('--grid')) {
  const grid: [string, ItemCfOptions][] = [];
  for (const K of [20, 50, 100, 200])
    for (const shrink of [0, 10, 50])
      grid.push([`cosine K=${K} shrink=${shrink} target`, { neighbours: K, shrink, pruneBy: 'target' }]);
  for (const K of [50, 100])
    grid.push([`cosine K=${K} shrink=10 source`, { neighbours: K, shrink: 10, pruneBy: 'source' }]);
  for (const alpha of [0.3, 0.4, 0.6, 0.7])
    grid.push([`asym alpha=${alpha} K=100`, { neighbours: 100, shrink: 10, alpha }]);
  for (const simExponent of [1.5, 2, 3])
    grid.push([`sharpen ${simExponent} K=100`, { neighbours: 100, shrink: 10, simExponent }]);
  for (const uw of ['idf', 'bm25'] as const)
    grid.push([`${uw} K=100`, { neighbours: 100, shrink: 10, userWeighting: uw }]);
  grid.push(['normalizeRows K=100', { neighbours: 100, shrink: 10, normalizeRows: true }]);
  for (const [name, o] of grid) {
    const r = runCf(ds, isTest, train, o);
    console.log(
      `${name.padEnd(34)} P@10 ${fmt(r.precision)}  R@10 ${fmt(r.recall)}  train ${r.trainMs.toFixed(0)} ms`,
    );
  }
} else {
  // warm-up run so JIT compilation is not billed to the timed run
  runCf(ds, isTest, train, {});
  const runs = [runCf(ds, isTest, train, {}), runCf(ds, isTest, train, {}), runCf(ds, isTest, train, {})];
  const best = runs.reduce((a, b) => (a.trainMs + a.scoreMs < b.trainMs + b.scoreMs ? a : b));
  console.log(`CF (defaults), random 80/20 seed 42, ${best.users} users evaluated`);
  console.log(`  precision@10 ${fmt(best.precision)}  recall@10 ${fmt(best.recall)}`);
  console.log(
    `  train ${best.trainMs.toFixed(0)} ms, score all users ${best.scoreMs.toFixed(0)} ms, total ${(best.trainMs + best.scoreMs).toFixed(0)} ms (best of 3 after warm-up)`,
  );
  for (const seed of [1, 2, 3]) {
    const t = splitPerUser(ds, 'random', seed);
    const r = runCf(
      ds,
      t,
      filterInteractions(ds, (row) => t[row] === 0),
      {},
    );
    console.log(`  seed ${seed}: precision@10 ${fmt(r.precision)}  recall@10 ${fmt(r.recall)}`);
  }
}
