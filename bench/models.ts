/**
 * `auto` against EASE on held-out data (issue 14 targets). `auto` is exactly what `--algorithm auto`
 * runs: searchChampion tunes every candidate on a validation split carved from the training split (the
 * blend last, with its members' best params; it chooses its weights and fusion on two folds carved
 * inside that), and the champion is trained with its chosen params on the training split and scored once on
 * the test split. EASE (registry defaults) is scored on the same split. Nothing here reads the test
 * split before the final scoring.
 *
 * Datasets: MovieLens 100K per-user random 80/20 (seeds 42, 1, 2, 3; the protocol of bench/accuracy.ts
 * and bench/fm.ts, no popularity fill), the Taobao sample per-user temporal 80/20 (popularity fill) and
 * a generated shop (3000 users, 1500 items, seed 11, random 80/20), the last two never used to choose
 * any default.
 *
 *   npx tsx bench/models.ts [--seeds=42,1,2,3] [--datasets=ml,taobao,generated] [--trials=12]
 *     [--candidates=cf,fm,ease,ials,slim,blend] [--minutes=60]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Recommender } from '../shared/domain/algorithms/recommender.js';
import { getAlgorithm, trainEntry } from '../shared/domain/algorithms/registry.js';
import { DatasetBuilder } from '../shared/domain/data/builder.js';
import type { Dataset } from '../shared/domain/data/dataset.js';
import { generateShop } from '../shared/domain/data/generator.js';
import { evaluateAlgorithms } from '../shared/domain/evaluation/evaluate.js';
import { type Split, type SplitProtocol, splitDataset } from '../shared/domain/evaluation/splits.js';
import { describeChampion, searchChampion } from '../shared/domain/tuning/champion.js';
import { optionsWithMembers, searchSpaceOf, trainWithParams } from '../shared/domain/tuning/search-spaces.js';

const DATA = process.env.OSUSUME_DATA ?? '/work/shared/data';
const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SEEDS = arg('seeds', '42,1,2,3').split(',').map(Number);
const DATASETS = arg('datasets', 'ml,taobao,generated').split(',');
const TRIALS = Number(arg('trials', '12'));
const CANDIDATES = arg('candidates', 'cf,fm,ease,ials,slim,blend').split(',');
const MINUTES = Number(arg('minutes', '60'));
for (const c of CANDIDATES) getAlgorithm(c);

interface Scored {
  p: number;
  r: number;
  ndcg: number;
  half: number;
  trainS: number;
}

async function score(
  d: Dataset,
  split: Split,
  model: (t: Dataset) => Recommender,
  fill: boolean,
): Promise<Scored> {
  const res = await evaluateAlgorithms(d, { algorithms: [{ name: 'm', train: model }], split, k: 10, fill });
  const m = res.results[0];
  return {
    p: m.metrics.precision,
    r: m.metrics.recall,
    ndcg: m.metrics.ndcg,
    half: (m.metrics.ci95.precision[1] - m.metrics.ci95.precision[0]) / 2,
    trainS: m.trainMs / 1000,
  };
}

async function runDataset(label: string, d: Dataset, protocol: SplitProtocol, seed: number, fill: boolean) {
  const t0 = performance.now();
  const split = splitDataset(d, protocol, { seed });
  process.stderr.write(`\n${label}, seed ${seed}: champion search (${TRIALS} trials) …\n`);
  const search = await searchChampion(split.train, {
    candidates: CANDIDATES.map((algorithm) => ({
      algorithm,
      searchSpace: searchSpaceOf(algorithm),
      estimatedMs: 0,
    })),
    train: trainWithParams,
    maxTrials: TRIALS,
    maxMs: MINUTES * 60_000,
    seed,
    metric: 'precision',
    k: 10,
    protocol,
    onTrial: (r, done, total) =>
      process.stderr.write(
        `  trial ${done}/${total} ${r.algorithm} ${JSON.stringify(r.params)} → ${r.score === undefined ? `rejected: ${r.error}` : r.score.toFixed(4)} (${(r.ms / 1000).toFixed(0)} s, load ${loadavg()[0].toFixed(1)})\n`,
      ),
  });
  const champion = search.selection.champion;
  if (!champion) throw new Error('every trial failed');
  const options = optionsWithMembers(champion.algorithm, champion.params, search.selection.best, protocol);
  const auto = await score(d, split, (t) => trainWithParams(champion.algorithm, t, options, seed), fill);
  const ease = await score(d, split, (t) => trainEntry(getAlgorithm('ease'), t, {}, seed), fill);
  const s = (performance.now() - t0) / 1000;
  console.log(
    `\n### ${label}, seed ${seed}: ${d.users.size} users, ${d.items.size} items, ${d.interactions.length} interactions (${s.toFixed(0)} s, load ${loadavg()[0].toFixed(1)})\n`,
  );
  console.log(`${describeChampion(search.selection, 'precision', 10)}\n`);
  console.log('| model | P@10 (± 95 %) | R@10 | NDCG@10 | train s |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, m] of [
    [`auto (= ${champion.algorithm})`, auto],
    ['ease (defaults)', ease],
  ] as const)
    console.log(
      `| ${name} | ${m.p.toFixed(4)} ± ${m.half.toFixed(4)} | ${m.r.toFixed(4)} | ${m.ndcg.toFixed(4)} | ${m.trainS.toFixed(1)} |`,
    );
  const gap = auto.p - ease.p;
  console.log(`\nauto − EASE on P@10: ${gap >= 0 ? '+' : ''}${gap.toFixed(4)}`);
  return { auto: auto.p, ease: ease.p, champion: champion.algorithm, params: champion.params };
}

function loadMl(): Dataset {
  const b = new DatasetBuilder();
  for (const line of readFileSync(join(DATA, 'ml-100k', 'u.data'), 'utf8').split('\n')) {
    if (line === '') continue;
    const [u, i, , t] = line.split('\t');
    b.addInteraction(u, i, Number(t));
  }
  return b.build();
}

function loadTaobao(): Dataset {
  const b = new DatasetBuilder();
  for (const line of readFileSync(
    join(DATA, 'taobao-userbehavior-head', 'UserBehavior_head.csv'),
    'utf8',
  ).split('\n')) {
    const f = line.split(',');
    if (f.length !== 5 || !/^\d+$/.test(f[4])) continue;
    b.addInteraction(f[0], f[1], Number(f[4]), f[3]);
  }
  return b.build();
}

const summary: string[] = [];
const row = (name: string, r: Awaited<ReturnType<typeof runDataset>>) => {
  const line = `| ${name} | ${r.auto.toFixed(4)} | ${r.ease.toFixed(4)} | ${r.auto - r.ease >= 0 ? '+' : ''}${(r.auto - r.ease).toFixed(4)} | ${r.champion} ${JSON.stringify(r.params)} |`;
  summary.push(line);
  process.stderr.write(`${line}\n`);
};
if (DATASETS.includes('ml')) {
  const ml = loadMl();
  for (const seed of SEEDS)
    row(
      `ML-100K seed ${seed}`,
      await runDataset('MovieLens 100K, per-user random 80/20, no fill', ml, 'random', seed, false),
    );
}
if (DATASETS.includes('taobao'))
  row(
    'Taobao sample (temporal)',
    await runDataset(
      'Taobao sample, per-user temporal 80/20, popularity fill',
      loadTaobao(),
      'temporal',
      42,
      true,
    ),
  );
if (DATASETS.includes('generated'))
  row(
    'generated shop',
    await runDataset(
      'generated shop 3000 users / 1500 items (seed 11), per-user random 80/20',
      generateShop({ users: 3000, items: 1500, seed: 11 }).dataset,
      'random',
      42,
      false,
    ),
  );
console.log(
  '\n### auto vs EASE (P@10 on the test split)\n\n| dataset | auto | EASE | auto − EASE | champion |\n|---|---:|---:|---:|---|',
);
for (const s of summary) console.log(s);
