/**
 * Popularity sanity check on MovieLens 100K (the cold-user fallback must be a sane baseline).
 * Protocol: per-user random 80/20 split (seeded), every rating is an interaction, training items removed,
 * precision@10 / recall@10 averaged over users with >= 1 test item. Published MostPop on this protocol:
 * precision@10 ≈ 0.19.
 * Also compares segment popularity (u.user: age group, gender, occupation) and times list computation.
 *   npx tsx bench/popularity.ts [--seed 42] [--temporal]   (--temporal: each user's latest 20% are the test)
 */
import { readFileSync } from 'node:fs';
import type { Recommender } from '../shared/domain/algorithms/recommender.js';
import { DatasetBuilder, filterInteractions } from '../shared/domain/data/builder.js';
import type { Dataset } from '../shared/domain/data/dataset.js';
import {
  computePopularityLists,
  type PopularityOptions,
  trainPopularity,
  trainSegmentPopularity,
} from '../shared/domain/popularity/popularity.js';
import { Rng } from '../shared/domain/random.js';

const DIR = '/work/shared/data/ml-100k';
const K = 10;

function ageGroup(age: number): string {
  if (age < 18) return 'under18';
  if (age < 25) return '18-24';
  if (age < 35) return '25-34';
  if (age < 45) return '35-44';
  if (age < 56) return '45-55';
  return '56+';
}

/** u.data (+ u.user attributes) built directly, so the bench does not depend on the CSV importer. */
function loadMl100k(): Dataset {
  const b = new DatasetBuilder();
  for (const line of readFileSync(`${DIR}/u.data`, 'utf8').split('\n')) {
    if (line === '') continue;
    const [u, i, , ts] = line.split('\t');
    b.addInteraction(u, i, Number(ts));
  }
  for (const line of readFileSync(`${DIR}/u.user`, 'latin1').split('\n')) {
    if (line === '') continue;
    const [u, age, gender, occupation] = line.split('|');
    b.addUser(u, { AGE_GROUP: ageGroup(Number(age)), GENDER: gender, OCCUPATION: occupation });
  }
  return b.build();
}

/**
 * Per-user split: 80% of each user's rows train (random: shuffled; temporal: earliest by time);
 * test = distinct held-out items not in training.
 */
function split(ds: Dataset, seed: number, temporal: boolean): { train: Dataset; test: Set<number>[] } {
  const { user, item, timestamp, length } = ds.interactions;
  const byUser: number[][] = Array.from({ length: ds.users.size }, () => []);
  for (let r = 0; r < length; r++) byUser[user[r]].push(r);
  const rng = new Rng(seed);
  const isTest = new Uint8Array(length);
  const test: Set<number>[] = [];
  for (const rows of byUser) {
    if (temporal) rows.sort((a, b) => timestamp[a] - timestamp[b] || a - b);
    else rng.shuffle(rows);
    const nTrain = Math.round(rows.length * 0.8);
    const trainItems = new Set(rows.slice(0, nTrain).map((r) => item[r]));
    const targets = new Set<number>();
    for (let j = nTrain; j < rows.length; j++) {
      isTest[rows[j]] = 1;
      if (!trainItems.has(item[rows[j]])) targets.add(item[rows[j]]);
    }
    test.push(targets);
  }
  return { train: filterInteractions(ds, (r) => isTest[r] === 0), test };
}

function evaluate(
  rec: Recommender,
  test: Set<number>[],
): { precision: number; recall: number; users: number } {
  let p = 0;
  let r = 0;
  let users = 0;
  for (let u = 0; u < test.length; u++) {
    if (test[u].size === 0) continue;
    const top = rec.recommend(u, K);
    let hits = 0;
    for (const i of top.items) if (test[u].has(i)) hits++;
    p += hits / K;
    r += hits / test[u].size;
    users++;
  }
  return { precision: p / users, recall: r / users, users };
}

function main(): void {
  const seedArg = process.argv.indexOf('--seed');
  const seed = seedArg >= 0 ? Number(process.argv[seedArg + 1]) : 42;
  const ds = loadMl100k();
  const temporal = process.argv.includes('--temporal');
  const { train, test } = split(ds, seed, temporal);
  console.log(
    `MovieLens 100K: ${ds.interactions.length} ratings, ${ds.users.size} users, ${ds.items.size} items; ` +
      `train ${train.interactions.length} rows; ${temporal ? 'temporal' : `random (seed ${seed})`} split; precision@${K} / recall@${K}`,
  );

  const variants: { label: string; make: () => Recommender }[] = [
    { label: 'global, no decay (MostPop)', make: () => trainPopularity(train, { halfLifeDays: 0 }) },
    { label: 'global, 14-day half-life (default)', make: () => trainPopularity(train) },
    { label: 'global, 90-day half-life', make: () => trainPopularity(train, { halfLifeDays: 90 }) },
  ];
  const segmentVariants: [string, PopularityOptions][] = [
    ['GENDER', { segmentColumns: ['GENDER'] }],
    ['AGE_GROUP>GENDER', { segmentColumns: ['AGE_GROUP', 'GENDER'] }],
    ['GENDER>AGE_GROUP>OCCUPATION', { segmentColumns: ['GENDER', 'AGE_GROUP', 'OCCUPATION'] }],
    ['OCCUPATION>AGE_GROUP', { segmentColumns: ['OCCUPATION', 'AGE_GROUP'] }],
  ];
  for (const [name, opts] of segmentVariants) {
    variants.push({
      label: `segment ${name}, no decay, minSupport 20`,
      make: () => trainSegmentPopularity(train, { ...opts, halfLifeDays: 0 }),
    });
  }
  for (const v of variants) {
    const t0 = performance.now();
    const rec = v.make();
    const trainMs = performance.now() - t0;
    const m = evaluate(rec, test);
    console.log(
      `  ${v.label.padEnd(60)} P@${K} ${m.precision.toFixed(4)}  R@${K} ${m.recall.toFixed(4)}  ` +
        `(${m.users} users, train ${trainMs.toFixed(0)} ms)`,
    );
  }

  // list computation cost on the full data (what the batch job publishes)
  const t0 = performance.now();
  const lists = computePopularityLists(ds, { segmentColumns: ['GENDER', 'AGE_GROUP', 'OCCUPATION'] });
  const ms = performance.now() - t0;
  const segments = lists.filter((l) => l.segment.startsWith('u:')).length;
  console.log(
    `  computePopularityLists (full data): ${lists.length} lists (${segments} user segments) in ${ms.toFixed(0)} ms`,
  );
}

main();
