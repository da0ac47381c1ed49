import '../shared/polyfills.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { algorithmNames } from '../shared/domain/algorithms/registry.js';
import { DatasetBuilder } from '../shared/domain/data/builder.js';
import type { Dataset } from '../shared/domain/data/dataset.js';
import { type EvaluationResult, evaluateAlgorithms } from '../shared/domain/evaluation/evaluate.js';

/**
 * Offline accuracy of every registered algorithm on MovieLens 100K, reference protocol: per-user random
 * 80/20 (seed 42), every rating is an interaction, training items removed, K = 10. Prints one table with
 * the published anchors and the project's targets.
 *
 * Run: npx tsx bench/accuracy.ts
 */

const DATA = process.env.OSUSUME_DATA ?? '/work/shared/data';

function loadMovieLens(): Dataset {
  const b = new DatasetBuilder();
  for (const line of readFileSync(join(DATA, 'ml-100k', 'u.data'), 'utf8').split('\n')) {
    if (line === '') continue;
    const [u, i, , t] = line.split('\t');
    b.addInteraction(u, i, Number(t));
  }
  return b.build();
}

function printTable(title: string, r: EvaluationResult): void {
  console.log(`\n${title}`);
  console.log(
    `protocol ${r.protocol}, k=${r.k}, seed ${r.seed}; ${r.dataset.users} users, ${r.dataset.items} items, ` +
      `${r.dataset.interactions} interactions; ${r.split.testUsers} test users, ${r.split.testTargets} targets`,
  );
  const head = [
    'algorithm',
    `P@${r.k}`,
    `R@${r.k}`,
    `NDCG@${r.k}`,
    `MAP@${r.k}`,
    'MRR',
    'coverage',
    'train s',
  ];
  const rows = r.results.map((x) => [
    x.algorithm,
    x.metrics.precision.toFixed(4),
    x.metrics.recall.toFixed(4),
    x.metrics.ndcg.toFixed(4),
    x.metrics.map.toFixed(4),
    x.metrics.mrr.toFixed(4),
    x.metrics.coverage.toFixed(4),
    (x.trainMs / 1000).toFixed(2),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const fmt = (row: string[]) =>
    row.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  console.log(fmt(head));
  for (const row of rows) console.log(fmt(row));
}

async function main(): Promise<void> {
  const ml = loadMovieLens();
  const algorithms = algorithmNames();
  const res = await evaluateAlgorithms(ml, { algorithms, protocol: 'random', k: 10, seed: 42, fill: false });
  printTable('MovieLens 100K', res);
}

await main();
