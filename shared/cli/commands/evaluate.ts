import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors.js';
import type {
  AlgorithmResult,
  EvaluationProgress,
  EvaluationResult,
} from '../../domain/evaluation/evaluate.js';
import { SPLIT_PROTOCOLS, type SplitProtocol } from '../../domain/evaluation/splits.js';

interface EvaluateCliOptions {
  data: string;
  algorithms?: string;
  protocol: string;
  k: string;
  seed: string;
  out: string;
  fill: boolean;
}

/** The algorithms evaluated when --algorithms is omitted (those of them that are registered). */
const DEFAULT_ALGORITHMS = ['cf', 'fm', 'popularity', 'session'];

/** Parses an integer option, naming it in the error. */
export function parseIntOption(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new ValidationError(`--${name} must be an integer >= ${min}, got "${value}"`, name);
  }
  return n;
}

/** One result's table cells: algorithm, the metrics at 4 decimals, training seconds. */
export function resultCells(x: AlgorithmResult): string[] {
  return [
    x.algorithm,
    x.metrics.precision.toFixed(4),
    x.metrics.recall.toFixed(4),
    x.metrics.ndcg.toFixed(4),
    x.metrics.map.toFixed(4),
    x.metrics.mrr.toFixed(4),
    x.metrics.coverage.toFixed(4),
    (x.trainMs / 1000).toFixed(2),
  ];
}

/**
 * Lines of a fixed-width table: first column left-aligned, the others right-aligned, missing cells empty;
 * with `rule`, a dashed line under the head.
 */
export function formatColumns(head: string[], rows: string[][], rule = false): string[] {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const fmt = (row: string[]) =>
    row.map((v, c) => (c === 0 ? (v ?? '').padEnd(widths[c]) : (v ?? '').padStart(widths[c]))).join('  ');
  return [fmt(head), ...(rule ? [widths.map((w) => '-'.repeat(w)).join('  ')] : []), ...rows.map(fmt)];
}

/** Formats results as a fixed-width table. */
export function formatTable(r: EvaluationResult): string {
  const k = r.k;
  const head = [
    'algorithm',
    `P@${k}`,
    `R@${k}`,
    `NDCG@${k}`,
    `MAP@${k}`,
    'MRR',
    'coverage',
    'train s',
    'users',
  ];
  const rows = r.results.map((x) => [...resultCells(x), String(x.users)]);
  return formatColumns(head, rows).join('\n');
}

/** A one-line progress indicator on stderr, only when stderr is a terminal. */
function progressReporter(): ((p: EvaluationProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (p) => {
    const width = 30;
    const share = p.total > 0 ? p.done / p.total : 1;
    const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '.');
    const what = p.phase === 'train' ? 'training' : p.phase === 'score' ? 'scoring' : 'done';
    process.stderr.write(`\r${p.algorithm.padEnd(20)} [${bar}] ${p.done}/${p.total} ${what}   `);
    if (p.phase === 'done') process.stderr.write('\n');
  };
}

/**
 * `osusume evaluate --data DIR [--algorithms cf,fm,popularity,session] [--protocol personalize|random|temporal]
 * [--k 10] [--seed 42] [--out DIR]`.
 */
export function register(program: Command): void {
  program
    .command('evaluate')
    .description(
      'offline evaluation: split the data, train each algorithm, print precision/recall/NDCG/MAP/MRR/coverage@K; ' +
        'writes evaluation.json and evaluation.svg',
    )
    .requiredOption('-d, --data <dir>', 'dataset folder (interactions.csv, optional users.csv, items.csv)')
    .option(
      '-a, --algorithms <list>',
      `comma-separated registry names (default ${DEFAULT_ALGORITHMS.join(',')})`,
    )
    .option('-p, --protocol <name>', `split protocol: ${SPLIT_PROTOCOLS.join('|')}`, 'personalize')
    .option('-k, --k <n>', 'list length K', '10')
    .option('--seed <n>', 'seed of the split and of stochastic trainers', '42')
    .option('-o, --out <dir>', 'output folder', './.osusume/evaluation')
    .option('--no-fill', 'do not top up lists shorter than K from training popularity (served lists are)')
    .action(async (opts: EvaluateCliOptions) => {
      // algorithms are imported here, not at registration, so `osusume --help` stays fast
      const { algorithmNames, getTrainer } = await import('../../domain/algorithms/registry.js');
      const { loadDatasetReporting } = await import('../load-data.js');
      const { evaluateAlgorithms } = await import('../../domain/evaluation/evaluate.js');
      const { renderEvaluationSvg } = await import('../../adapters/charts/echarts-svg.js');
      // validate everything before the (slow) load
      const registered = algorithmNames();
      const algorithms = opts.algorithms
        ? opts.algorithms
            .split(',')
            .map((a) => a.trim())
            .filter((a) => a !== '')
        : DEFAULT_ALGORITHMS.filter((a) => registered.includes(a));
      for (const a of algorithms) getTrainer(a);
      if (!SPLIT_PROTOCOLS.includes(opts.protocol as SplitProtocol)) {
        throw new ValidationError(
          `--protocol must be one of ${SPLIT_PROTOCOLS.join(', ')}, got "${opts.protocol}"`,
          'protocol',
        );
      }
      const k = parseIntOption(opts.k, 'k', 1);
      const seed = parseIntOption(opts.seed, 'seed', 0);

      const dataset = await loadDatasetReporting(opts.data);
      const result = await evaluateAlgorithms(dataset, {
        algorithms,
        protocol: opts.protocol as SplitProtocol,
        k,
        seed,
        fill: opts.fill,
        onProgress: progressReporter(),
      });
      console.log(
        `protocol ${result.protocol}, K=${k}, seed ${seed}${result.fill ? '' : ', no fill'}: ${result.dataset.users} users, ${result.dataset.items} items, ` +
          `${result.dataset.interactions} interactions; ${result.split.trainInteractions} train rows, ` +
          `${result.split.testUsers} test users, ${result.split.testTargets} held-out items`,
      );
      console.log(formatTable(result));
      const out = resolve(opts.out);
      await mkdir(out, { recursive: true });
      await writeFile(join(out, 'evaluation.json'), `${JSON.stringify(result, null, 2)}\n`);
      await writeFile(join(out, 'evaluation.svg'), renderEvaluationSvg(result));
      console.log(`wrote ${join(out, 'evaluation.json')} and ${join(out, 'evaluation.svg')}`);
    });
}
