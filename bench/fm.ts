/**
 * FM on MovieLens 100K, reference protocol: per-user random 80/20 split (seeded), every rating is an
 * interaction (value ignored), training items excluded, precision/recall/NDCG@10 averaged over users with
 * ≥1 test item. Builds the Dataset straight from the raw files (user age group, gender, occupation; item
 * genres as a multi-valued attribute).
 *
 * Usage: npx tsx bench/fm.ts [--factors=64] [--loss=warp] [--members=1] [--no-attributes] [--split-seed=1]
 * [--key=value ...] (any FmOptions / FmEnsembleOptions key; numbers parsed). Data: $ML100K or /work/shared/data/ml-100k.
 *
 * Measured with the defaults (warp-batch loss with a shared pool of 256 negatives per user, Adagrad, k=64,
 * history features, 4 fine-tune epochs, 2 members trained in worker threads and merged into one FM),
 * 2-core machine shared with other jobs (load average 3–4.5, so wall ≈ CPU at times):
 *   split seed 42: P@10 0.3752, R@10 0.2415, NDCG@10 0.4474, 26.6 s wall (26.2 s CPU; 17.4 s when idle)
 *   split seed 1:  P@10 0.3734, R@10 0.2430, NDCG@10 0.4471, 31.8 s wall (38.2 s CPU; 22.1 s when idle)
 *   split seed 2:  P@10 0.3744, R@10 0.2479, NDCG@10 0.4512, 25.3 s wall (34.1 s CPU)
 *   split seed 3:  P@10 0.3738, R@10 0.2423, NDCG@10 0.4474, 18.7 s wall (27.8 s CPU)
 * One member (--members=1): split 1 0.3692, split 3 0.3664. Old default --loss=warp --members=1: split 1
 * 0.3686 (25.6 s), 2 0.3706, 3 0.3591 (≈31 s CPU). Without history features ≈0.359 (seed 1); BPR 0.328.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetBuilder, filterInteractions } from '../shared/domain/data/builder.js';
import type { Dataset } from '../shared/domain/data/dataset.js';
import { ageGroup } from '../shared/domain/data/importers.js';
import { type FmEnsembleOptions, trainFm } from '../shared/domain/algorithms/fm.js';
import type { Recommender } from '../shared/domain/algorithms/recommender.js';
import { topK } from '../shared/domain/algorithms/top-k.js';
import { Rng } from '../shared/domain/random.js';

const dir = process.env.ML100K ?? '/work/shared/data/ml-100k';

function loadMl100k(withAttributes: boolean): Dataset {
  const b = new DatasetBuilder();
  for (const line of readFileSync(join(dir, 'u.data'), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const [u, i, , ts] = line.split('\t');
    b.addInteraction(u, i, Number(ts));
  }
  if (withAttributes) {
    for (const line of readFileSync(join(dir, 'u.user'), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const [id, age, gender, occupation] = line.split('|');
      b.addUser(id, { AGE: ageGroup(Number(age)), GENDER: gender, OCCUPATION: occupation });
    }
    const genres = readFileSync(join(dir, 'u.genre'), 'latin1')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.split('|')[0]);
    for (const line of readFileSync(join(dir, 'u.item'), 'latin1').split('\n')) {
      if (line.trim() === '') continue;
      const f = line.split('|');
      const flags = f.slice(5, 5 + genres.length);
      const g = genres.filter((_, j) => flags[j] === '1');
      b.addItem(f[0], { GENRES: g.join('|') });
    }
  }
  return b.build();
}

/** Per-user random 80/20 split; returns the train mask per interaction row. */
function splitRows(ds: Dataset, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const byUser: number[][] = Array.from({ length: ds.users.size }, () => []);
  for (let r = 0; r < ds.interactions.length; r++) byUser[ds.interactions.user[r]].push(r);
  const train = new Uint8Array(ds.interactions.length);
  for (const rows of byUser) {
    rng.shuffle(rows);
    const nTest = Math.round(rows.length * 0.2);
    for (let j = nTest; j < rows.length; j++) train[rows[j]] = 1;
  }
  return train;
}

function evaluate(
  ds: Dataset,
  train: Uint8Array,
  model: Recommender,
): { p: number; r: number; ndcg: number; users: number } {
  const test: Set<number>[] = Array.from({ length: ds.users.size }, () => new Set());
  for (let r = 0; r < ds.interactions.length; r++)
    if (!train[r]) test[ds.interactions.user[r]].add(ds.interactions.item[r]);
  let p = 0;
  let rec = 0;
  let ndcg = 0;
  let users = 0;
  for (let u = 0; u < ds.users.size; u++) {
    const t = test[u];
    if (t.size === 0) continue;
    users++;
    const top = model.recommend(u, 10);
    let hits = 0;
    let dcg = 0;
    for (let j = 0; j < top.items.length; j++) {
      if (t.has(top.items[j])) {
        hits++;
        dcg += 1 / Math.log2(j + 2);
      }
    }
    let idcg = 0;
    for (let j = 0; j < Math.min(10, t.size); j++) idcg += 1 / Math.log2(j + 2);
    p += hits / 10;
    rec += hits / t.size;
    ndcg += dcg / idcg;
  }
  return { p: p / users, r: rec / users, ndcg: ndcg / users, users };
}

/** MostPop baseline, as a sanity check of the protocol (published 0.190). */
function mostPop(ds: Dataset): Recommender {
  const counts = new Float32Array(ds.items.size);
  for (let r = 0; r < ds.interactions.length; r++) counts[ds.interactions.item[r]]++;
  const seen: Set<number>[] = Array.from({ length: ds.users.size }, () => new Set());
  for (let r = 0; r < ds.interactions.length; r++) seen[ds.interactions.user[r]].add(ds.interactions.item[r]);
  return {
    name: 'mostpop',
    recommend(u, n) {
      const skip = new Uint8Array(counts.length);
      for (const i of seen[u]) skip[i] = 1;
      return topK(counts, n, skip);
    },
  };
}

function parseArgs(): { options: Record<string, unknown>; attributes: boolean; splitSeed: number } {
  const options: Record<string, unknown> = {};
  let attributes = true;
  let splitSeed = 1;
  for (const a of process.argv.slice(2)) {
    if (a === '--no-attributes') attributes = false;
    else {
      const m = /^--([\w-]+)=(.*)$/.exec(a);
      if (!m) throw new Error(`bad argument ${a}`);
      const key = m[1].replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
      const raw = m[2];
      const value =
        raw === 'true' ? true : raw === 'false' ? false : Number.isNaN(Number(raw)) ? raw : Number(raw);
      if (key === 'splitSeed') splitSeed = Number(raw);
      else options[key] = value;
    }
  }
  return { options, attributes, splitSeed };
}

const { options, attributes, splitSeed } = parseArgs();
const ds = loadMl100k(attributes);
const trainMask = splitRows(ds, splitSeed);
const trainDs = filterInteractions(ds, (r) => trainMask[r] === 1);
console.log(
  `ml-100k: ${ds.users.size} users, ${ds.items.size} items, ${ds.interactions.length} interactions, ` +
    `${trainDs.interactions.length} train; attributes ${attributes ? 'on' : 'off'}; split seed ${splitSeed}`,
);
const pop = evaluate(ds, trainMask, mostPop(trainDs));
console.log(`MostPop  P@10 ${pop.p.toFixed(4)}  R@10 ${pop.r.toFixed(4)}  NDCG@10 ${pop.ndcg.toFixed(4)}`);
console.log(`FM options ${JSON.stringify(options)}`);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const model = trainFm(trainDs, options as FmEnsembleOptions);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const m = evaluate(ds, trainMask, model);
const info = model.training!;
console.log(
  `FM       P@10 ${m.p.toFixed(4)}  R@10 ${m.r.toFixed(4)}  NDCG@10 ${m.ndcg.toFixed(4)}  (${m.users} users)`,
);
console.log(
  `train ${seconds.toFixed(1)} s wall (${cpuSeconds.toFixed(1)} s CPU), ${info.loss}/${info.optimizer}, epochs run ${info.epochs}, members ${info.members?.length ?? 1}, ` +
    `mean best validation ${info.bestValidation.toFixed(4)}, refit ${info.refit}, finetune epochs ${info.finetuneEpochs}`,
);
for (const [j, t] of (info.members ?? [info]).entries()) {
  console.log(
    `member ${j}: epochs ${t.epochs}, best epoch ${t.bestEpoch}, best validation ${t.bestValidation.toFixed(4)}, ` +
      `${t.seconds.toFixed(1)} s; validation history ${t.history.map((x) => x.toFixed(4)).join(' ')}`,
  );
}
