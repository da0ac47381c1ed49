import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors.js';
import type {
  AlgorithmResult,
  NamedTrainer,
  EvaluationProgress,
  EvaluationResult,
} from '../../domain/evaluation/evaluate.js';
import { INTERVAL_METRICS } from '../../domain/evaluation/metrics.js';
import type { SessionProtocolResult } from '../../domain/evaluation/session-protocol.js';
import { SPLIT_PROTOCOLS, type Split, type SplitProtocol } from '../../domain/evaluation/splits.js';
import { type AutoCliOptions, addAutoOptions, autoBudget } from '../auto.js';
// the generated index, not the registry: importing every trainer would slow `osusume --help`
import { ALGORITHM_INDEX } from '../../domain/algorithms/served-algorithms.js';

/** Protocols of `evaluate`: the split protocols, and `session` (next-item, per repeat policy). */
const PROTOCOLS = [...SPLIT_PROTOCOLS, 'session'] as const;

interface EvaluateCliOptions extends AutoCliOptions {
  data: string;
  algorithms?: string;
  protocol: string;
  k?: string;
  test?: string;
  seed: string;
  out: string;
  fill: boolean;
}

/** The algorithms evaluated by --protocol session when --algorithms is omitted. */
const DEFAULT_SESSION_ALGORITHMS = ['session-knn'];

/** `evaluate --protocol session`: next-item HR/MRR per repeat policy; writes evaluation-session.json. */
async function evaluateSessionProtocol(opts: EvaluateCliOptions, k: number): Promise<void> {
  const { loadDatasetReporting } = await import('../load-data.js');
  const { evaluateSessions, SESSION_ALGORITHMS } = await import(
    '../../domain/evaluation/session-protocol.js'
  );
  const algorithms = opts.algorithms
    ? opts.algorithms
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a !== '')
    : DEFAULT_SESSION_ALGORITHMS;
  for (const a of algorithms)
    if (!SESSION_ALGORITHMS.includes(a))
      throw new ValidationError(
        `--algorithms: "${a}" cannot score sessions; --protocol session takes ${SESSION_ALGORITHMS.join(', ')}`,
        'algorithms',
      );
  const dataset = await loadDatasetReporting(opts.data);
  const test = opts.test === undefined ? undefined : await loadDatasetReporting(opts.test);
  const result = evaluateSessions(dataset, { algorithms, k, test });
  const s = result.split;
  console.log(
    `protocol session (next item), K=${k}, ${s.source === 'test dataset' ? `test sessions from ${opts.test}` : 'latest 20% of sessions as test'}: ` +
      `${s.trainSessions} train sessions (${s.trainInteractions} events), ${s.testSessions} test sessions, ` +
      `${s.testTargets} targets (${(100 * s.repeatShare).toFixed(1)} % repeat an item of their session)`,
  );
  console.log(formatSessionTable(result));
  const out = resolve(opts.out);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'evaluation-session.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${join(out, 'evaluation-session.json')}`);
}

/**
 * The algorithms evaluated when --algorithms is omitted: every registered one but `champion`, the
 * nightly's pointer of whatever validation chose (here that is `auto`).
 */
const DEFAULT_ALGORITHMS = ALGORITHM_INDEX.map((a) => a.name).filter((a) => a !== 'champion');

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

/** `mean±half` of a metric with its 95 % interval (half = the wider side, as clipping to [0, 1] may cut one). */
export function withInterval(mean: number, ci: readonly [number, number]): string {
  return `${mean.toFixed(4)}±${Math.max(ci[1] - mean, mean - ci[0]).toFixed(4)}`;
}

/** "0.6633 [0.6521, 0.6745]". */
function withRange(r: { value: number; low: number; high: number }): string {
  return `${r.value.toFixed(4)} [${r.low.toFixed(4)}, ${r.high.toFixed(4)}]`;
}

/** The session protocol's results as a fixed-width table (one row per algorithm and repeat policy). */
export function formatSessionTable(r: SessionProtocolResult): string {
  const k = r.k;
  const head = [
    'algorithm',
    'repeat',
    `HR@${k} [95% CI]`,
    `MRR@${k} [95% CI]`,
    'HR rep',
    'MRR rep',
    'HR new',
    'MRR new',
    'train s',
  ];
  const rows = r.results.map((x) => [
    x.algorithm,
    x.policy,
    withRange(x.hr),
    withRange(x.mrr),
    x.repeat.hr.value.toFixed(4),
    x.repeat.mrr.value.toFixed(4),
    x.new.hr.value.toFixed(4),
    x.new.mrr.value.toFixed(4),
    (x.trainMs / 1000).toFixed(2),
  ]);
  return formatColumns(head, rows).join('\n');
}

/** Formats results as a fixed-width table; each per-user average shows its 95 % interval (users sampled). */
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
  const rows = r.results.map((x) => {
    const m = x.metrics;
    return [
      x.algorithm,
      ...INTERVAL_METRICS.map((name) => withInterval(m[name], m.ci95[name])),
      m.coverage.toFixed(4),
      (x.trainMs / 1000).toFixed(2),
      String(x.users),
    ];
  });
  return [
    ...formatColumns(head, rows),
    `± = 95% confidence half-width over the ${r.split.testUsers} test users (normal approximation)`,
  ].join('\n');
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
  const command = program
    .command('evaluate')
    .description(
      'offline evaluation: split the data, train each algorithm, print precision/recall/NDCG/MAP/MRR/coverage@K; ' +
        'writes evaluation.json and evaluation.svg',
    )
    .requiredOption('-d, --data <dir>', 'dataset folder (interactions.csv, optional users.csv, items.csv)')
    .option(
      '-a, --algorithms <list>',
      `comma-separated registry names or auto (the champion of a validation search on the training part; default: all of ${DEFAULT_ALGORITHMS.join(',')})`,
    )
    .option(
      '-p, --protocol <name>',
      `split protocol: ${PROTOCOLS.join('|')} (session: next-item HR/MRR on the latest 20% of sessions)`,
      'personalize',
    )
    .option('-k, --k <n>', 'list length K (default 10; 20 with --protocol session)')
    .option(
      '--test <dir>',
      '--protocol session: test sessions from this dataset folder, training on all of --data',
    )
    .option('--seed <n>', 'seed of the split and of stochastic trainers', '42')
    .option('-o, --out <dir>', 'output folder', './.osusume/evaluation')
    .option('--no-fill', 'do not top up lists shorter than K from training popularity (served lists are)');
  addAutoOptions(command).action(async (opts: EvaluateCliOptions) => {
    // algorithms are imported here, not at registration, so `osusume --help` stays fast
    const { getAlgorithm } = await import('../../domain/algorithms/registry.js');
    const { loadDatasetReporting } = await import('../load-data.js');
    const { evaluateAlgorithms } = await import('../../domain/evaluation/evaluate.js');
    const { splitDataset } = await import('../../domain/evaluation/splits.js');
    const { chooseAuto } = await import('../auto.js');
    const { renderEvaluationSvg } = await import('../../adapters/charts/echarts-svg.js');
    // validate everything before the (slow) load
    const algorithms = opts.algorithms
      ? opts.algorithms
          .split(',')
          .map((a) => a.trim())
          .filter((a) => a !== '')
      : DEFAULT_ALGORITHMS;
    if (!(PROTOCOLS as readonly string[]).includes(opts.protocol)) {
      throw new ValidationError(
        `--protocol must be one of ${PROTOCOLS.join(', ')}, got "${opts.protocol}"`,
        'protocol',
      );
    }
    const k = parseIntOption(opts.k ?? (opts.protocol === 'session' ? '20' : '10'), 'k', 1);
    if (opts.protocol === 'session') {
      await evaluateSessionProtocol(opts, k);
      return;
    }
    if (opts.test !== undefined) throw new ValidationError('--test needs --protocol session', 'test');
    for (const a of algorithms) if (a !== 'auto') getAlgorithm(a);
    const budget = algorithms.includes('auto') ? autoBudget(opts) : undefined;
    for (const a of budget?.candidates ?? []) getAlgorithm(a);
    const seed = parseIntOption(opts.seed, 'seed', 0);

    const dataset = await loadDatasetReporting(opts.data);
    const protocol = opts.protocol as SplitProtocol;
    let split: Split | undefined;
    let named: (string | NamedTrainer)[] = algorithms;
    const notes: string[] = [];
    if (budget) {
      // auto is tuned on the training part only: the held-out targets never inform the choice
      split = splitDataset(dataset, protocol, { seed });
      const choice = await chooseAuto(split.train, { seed, protocol, ...budget });
      notes.push(choice.summary);
      named = algorithms.map((a) => (a === 'auto' ? { name: 'auto', train: choice.train } : a));
    }
    const evaluated = await evaluateAlgorithms(dataset, {
      algorithms: named,
      protocol,
      k,
      seed,
      fill: opts.fill,
      ...(split ? { split } : {}),
      onProgress: progressReporter(),
    });
    const result = notes.length > 0 ? { ...evaluated, notes: [...evaluated.notes, ...notes] } : evaluated;
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
