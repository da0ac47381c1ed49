import '../shared/polyfills.js';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatColumns, resultCells } from '../shared/cli/commands/evaluate.js';
import { algorithmNames } from '../shared/domain/algorithms/registry.js';
import { DatasetBuilder } from '../shared/domain/data/builder.js';
import type { Dataset } from '../shared/domain/data/dataset.js';
import { loadDataset } from '../shared/domain/data/loader.js';
import {
  type EvaluationResult,
  evaluateAlgorithms,
  type NamedTrainer,
} from '../shared/domain/evaluation/evaluate.js';
import { splitDataset } from '../shared/domain/evaluation/splits.js';
import { trainPopularity } from '../shared/domain/popularity/popularity.js';

/**
 * Offline accuracy of every registered algorithm.
 *
 * 1. MovieLens 100K, reference protocol: per-user random 80/20 (seed 42), every rating is an interaction,
 *    training items removed, K = 10, no popularity fill. Compared with published P@10 anchors for the same
 *    protocol and with the project's targets.
 * 2. Taobao UserBehavior sample, per-user temporal 80/20 (latest 20% held out), event types as weights,
 *    lists filled from popularity as served.
 *
 * Run: npx tsx bench/accuracy.ts   (OSUSUME_DATA overrides /work/shared/data)
 */

const DATA = process.env.OSUSUME_DATA ?? '/work/shared/data';
const IMPORTERS = new URL('../shared/domain/data/importers.ts', import.meta.url);

/** Published P@10 on ML-100K, per-user random 80/20 (MostPop, ItemKNN, BPR-MF, SLIM, implicit MF). */
const ANCHORS: [string, number][] = [
  ['MostPop', 0.19],
  ['ItemKNN', 0.328],
  ['BPR-MF', 0.346],
  ['SLIM', 0.363],
  ['implicit MF (WRMF)', 0.366],
];

/** Targets on P@10: a row passes when `check(p)` holds. */
const TARGETS: { label: string; row: string; text: string; check: (p: number) => boolean }[] = [
  { label: 'CF', row: 'cf', text: '>= 0.33', check: (p) => p >= 0.33 },
  { label: 'FM', row: 'fm', text: '>= 0.37', check: (p) => p >= 0.37 },
  {
    label: 'popularity (MostPop)',
    row: 'popularity (no decay)',
    text: '≈ 0.19 (±0.02)',
    check: (p) => Math.abs(p - 0.19) <= 0.02,
  },
];

/** MovieLens through the importer and the CSV loader when they exist, else straight from u.data. */
async function loadMovieLens(): Promise<{ dataset: Dataset; via: string }> {
  if (existsSync(IMPORTERS)) {
    const { importMovieLens } = (await import(IMPORTERS.href)) as {
      importMovieLens: (src: string, out: string) => Promise<unknown>;
    };
    const out = await mkdtemp(join(tmpdir(), 'osusume-ml100k-'));
    try {
      await importMovieLens(join(DATA, 'ml-100k'), out);
      return { dataset: await loadDataset(out), via: 'importMovieLens + loadDataset' };
    } catch (err) {
      // keep the benchmark usable while the importer and the loader disagree; say so in the output
      console.log(`importMovieLens + loadDataset failed (${(err as Error).message}); using u.data directly`);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }
  const b = new DatasetBuilder();
  for (const line of readFileSync(join(DATA, 'ml-100k', 'u.data'), 'utf8').split('\n')) {
    if (line === '') continue;
    const [u, i, , t] = line.split('\t');
    b.addInteraction(u, i, Number(t));
  }
  return { dataset: b.build(), via: 'u.data via DatasetBuilder' };
}

/** The Taobao sample through the importer when it exists, else straight from the CSV. */
async function loadTaobao(): Promise<{ dataset: Dataset; via: string }> {
  const src = join(DATA, 'taobao-userbehavior-head', 'UserBehavior_head.csv');
  if (existsSync(IMPORTERS)) {
    const { importTaobao } = (await import(IMPORTERS.href)) as {
      importTaobao: (src: string, out: string) => Promise<unknown>;
    };
    const out = await mkdtemp(join(tmpdir(), 'osusume-taobao-'));
    try {
      await importTaobao(src, out);
      return { dataset: await loadDataset(out), via: 'importTaobao + loadDataset' };
    } catch (err) {
      console.log(`importTaobao + loadDataset failed (${(err as Error).message}); using the CSV directly`);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }
  const b = new DatasetBuilder();
  for (const line of readFileSync(src, 'utf8').split('\n')) {
    if (line === '') continue;
    const [u, i, c, type, t] = line.split(',');
    b.addInteraction(u, i, Number(t), type);
    b.addItem(i, { CATEGORY: c });
  }
  return { dataset: b.build(), via: 'CSV via DatasetBuilder' };
}

function table(r: EvaluationResult): string[][] {
  return r.results.map(resultCells);
}

function print(head: string[], rows: string[][]): void {
  for (const line of formatColumns(head, rows, true)) console.log(line);
}

const HEAD = ['algorithm', 'P@10', 'R@10', 'NDCG@10', 'MAP@10', 'MRR', 'coverage', 'train s'];

/** MostPop as in the literature: distinct-user counts, no time decay. */
const MOST_POP: NamedTrainer = {
  name: 'popularity (no decay)',
  train: (d) => trainPopularity(d, { halfLifeDays: 0 }),
};

async function main(): Promise<void> {
  const algorithms = [...algorithmNames(), MOST_POP];

  const ml = await loadMovieLens();
  const split = splitDataset(ml.dataset, 'random', { seed: 42 });
  const res = await evaluateAlgorithms(ml.dataset, { algorithms, split, k: 10, seed: 42, fill: false });
  console.log(
    `\nMovieLens 100K (${ml.via}): per-user random 80/20, seed 42, K=10, training items removed, no fill; ` +
      `${res.dataset.users} users, ${res.dataset.items} items, ${res.dataset.interactions} ratings, ` +
      `${res.split.testTargets} held-out items`,
  );
  const rows = table(res);
  rows.push(['', '', '', '', '', '', '', '']);
  for (const [name, p] of ANCHORS) rows.push([`[published] ${name}`, p.toFixed(3), '', '', '', '', '', '']);
  print(HEAD, rows);
  console.log('\ntargets (P@10):');
  for (const t of TARGETS) {
    const r = res.results.find((x) => x.algorithm === t.row);
    const p = r?.metrics.precision;
    const verdict = p === undefined ? 'n/a (not registered)' : t.check(p) ? 'PASS' : 'FAIL';
    console.log(
      `  ${t.label.padEnd(22)} ${t.text.padEnd(16)} ${p === undefined ? '' : p.toFixed(4)}  ${verdict}`,
    );
  }

  const tb = await loadTaobao();
  const tres = await evaluateAlgorithms(tb.dataset, { algorithms, protocol: 'temporal', k: 10, seed: 42 });
  console.log(
    `\nTaobao UserBehavior sample (${tb.via}): per-user temporal 80/20 (latest 20% held out), K=10, ` +
      `training items removed, lists filled from popularity; ${tres.dataset.users} users, ${tres.dataset.items} items, ` +
      `${tres.dataset.interactions} events, ${tres.split.testUsers} test users, ${tres.split.testTargets} held-out items`,
  );
  print(HEAD, table(tres));
}

await main();
