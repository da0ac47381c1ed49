/**
 * Item-CF (and session model) accuracy and speed on MovieLens 100K.
 * Protocol: per-user random 80/20 split (seeded), every rating is an interaction, training items removed,
 * precision@10 / recall@10 averaged over users with >= 1 test item.
 *   npx tsx bench/cf-speed.ts            default model + timing
 *   npx tsx bench/cf-speed.ts --grid     sweep of similarity variants
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { type ItemCfOptions, trainItemCf } from '../shared/domain/algorithms/item-cf.js';
import type { Recommender } from '../shared/domain/algorithms/recommender.js';
import { DatasetBuilder, filterInteractions } from '../shared/domain/data/builder.js';
import type { Dataset } from '../shared/domain/data/dataset.js';
import { Rng } from '../shared/domain/random.js';
import { type SessionOptions, trainSession } from '../shared/domain/algorithms/session.js';

const DATA = '/work/shared/data/ml-100k/u.data';
const TAOBAO = '/work/shared/data/taobao-userbehavior-head/UserBehavior_head.csv';

/** Taobao head sample: user,item,category,behavior,ts (the file is cut mid-line: bad rows skipped). */
function loadTaobao(): Dataset {
  const b = new DatasetBuilder();
  for (const line of readFileSync(TAOBAO, 'utf8').split('\n')) {
    const f = line.split(',');
    if (f.length !== 5 || !/^\d+$/.test(f[4])) continue;
    b.addInteraction(f[0], f[1], Number(f[4]), f[3]);
  }
  return b.build();
}

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

/** CPU milliseconds of this process (user + system): less distorted than wall time on a shared machine. */
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

function runCf(ds: Dataset, isTest: Uint8Array, train: Dataset, opts: ItemCfOptions) {
  const c0 = cpuMs();
  const t0 = performance.now();
  const model = trainItemCf(train, opts);
  const trainMs = performance.now() - t0;
  const c1 = cpuMs();
  const ev = evaluate(ds, isTest, model);
  return { ...ev, trainMs, trainCpu: c1 - c0, scoreCpu: cpuMs() - c1 };
}

const fmt = (x: number) => x.toFixed(4);

const ds = loadMl100k();
console.log(
  `ML-100K: ${ds.interactions.length} interactions, ${ds.users.size} users, ${ds.items.size} items`,
);
const isTest = splitPerUser(ds, 'random', 42);
const train = filterInteractions(ds, (r) => isTest[r] === 0);

if (process.argv.includes('--session')) {
  // sequence-aware comparison: per-user temporal split (last 20% of each user's events by time)
  const grid: [string, SessionOptions][] = [['session defaults', {}]];
  if (process.argv.includes('--grid')) {
    for (const transitionWeight of [0, 0.25, 0.75, 1])
      grid.push([`beta=${transitionWeight}`, { transitionWeight }]);
    for (const positionDecay of [0.7, 0.95, 1])
      grid.push([`positionDecay=${positionDecay}`, { positionDecay }]);
    for (const recentEvents of [5, 20, 50]) grid.push([`N=${recentEvents}`, { recentEvents }]);
    for (const window of [1, 3, 10]) grid.push([`window=${window}`, { window }]);
    grid.push(['windowDecay=1', { windowDecay: 1 }]);
    grid.push(['gap=5min', { sessionGapMinutes: 5 }]);
    grid.push(['gap=1day', { sessionGapMinutes: 1440 }]);
  }
  for (const [label, data] of [
    ['ML-100K', ds],
    ['Taobao head', loadTaobao()],
  ] as const) {
    const t = splitPerUser(data, 'temporal');
    const tr = filterInteractions(data, (r) => t[r] === 0);
    console.log(
      `${label}: ${data.interactions.length} events, ${data.users.size} users, ${data.items.size} items; temporal 80/20`,
    );
    let t0 = performance.now();
    const cf = trainItemCf(tr);
    const cfTrain = performance.now() - t0;
    const e1 = evaluate(data, t, cf);
    console.log(
      `  ${'cf'.padEnd(22)} P@10 ${fmt(e1.precision)}  R@10 ${fmt(e1.recall)}  train ${cfTrain.toFixed(0)} ms  (${e1.users} users)`,
    );
    for (const [name, o] of grid) {
      t0 = performance.now();
      const m = trainSession(tr, o);
      const ms = performance.now() - t0;
      const e = evaluate(data, t, m);
      console.log(
        `  ${name.padEnd(22)} P@10 ${fmt(e.precision)}  R@10 ${fmt(e.recall)}  train ${ms.toFixed(0)} ms`,
      );
    }
  }
} else if (process.argv.includes('--grid')) {
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
  const best = runs.reduce((a, b) => (a.trainCpu + a.scoreCpu < b.trainCpu + b.scoreCpu ? a : b));
  console.log(`CF (defaults), random 80/20 seed 42, ${best.users} users evaluated`);
  console.log(`  precision@10 ${fmt(best.precision)}  recall@10 ${fmt(best.recall)}`);
  console.log(
    `  wall: train ${best.trainMs.toFixed(0)} ms, score all users ${best.scoreMs.toFixed(0)} ms, total ${(best.trainMs + best.scoreMs).toFixed(0)} ms (best of 3 after warm-up)`,
  );
  console.log(
    `  cpu:  train ${best.trainCpu.toFixed(0)} ms, score all users ${best.scoreCpu.toFixed(0)} ms, total ${(best.trainCpu + best.scoreCpu).toFixed(0)} ms; load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`,
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
