import type { Command } from 'commander';
import type { Recommender } from '../domain/algorithms/recommender.js';
import type { Dataset } from '../domain/data/dataset.js';
import type { SplitProtocol } from '../domain/evaluation/splits.js';
import type { Params } from '../domain/tuning/search.js';
import { ValidationError } from '../domain/errors.js';
import { intOption } from './options.js';

/** `--algorithm auto`: the champion chosen on validation, and how to train it. */
export interface AutoChoice {
  readonly algorithm: string;
  readonly params: Params;
  /** Which algorithm won and why (printed). */
  readonly summary: string;
  /** Trains the champion with its tuned params on `dataset` (the data it was tuned on). */
  train(dataset: Dataset, seed: number): Recommender;
}

export interface AutoCliOptions {
  tuneTrials: string;
  tuneMinutes: string;
  autoCandidates?: string;
}

/** The tuning budget options of `--algorithm auto` (batch-recommend, evaluate). */
export function addAutoOptions(command: Command): Command {
  return command
    .option('--tune-trials <n>', 'auto: most trials of the validation search (1-500)', '40')
    .option('--tune-minutes <m>', 'auto: stop starting trials after this many minutes (1-1440)', '30')
    .option(
      '--auto-candidates <list>',
      'auto: comma-separated algorithms that compete (default: the champion candidates: cf, fm, ease, ials, rp3beta, slim, blend, session)',
    );
}

/** Parses the budget options before any slow work, naming a bad one. */
export function autoBudget(opts: AutoCliOptions): {
  maxTrials: number;
  maxMs: number;
  candidates?: string[];
} {
  const candidates = opts.autoCandidates
    ?.split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  for (const a of candidates ?? [])
    if (a === 'auto') throw new ValidationError('--auto-candidates cannot contain auto', 'auto-candidates');
  return {
    maxTrials: intOption(opts.tuneTrials, '--tune-trials', 1, 500),
    maxMs: intOption(opts.tuneMinutes, '--tune-minutes', 1, 1440) * 60_000,
    ...(candidates ? { candidates } : {}),
  };
}

/**
 * Resolves `auto` from a data dir: tunes every registered algorithm on a validation split carved from
 * `dataset` (the per-user `protocol` of the evaluation) and picks the champion, printing each trial on
 * stderr and the choice on stdout.
 */
export async function chooseAuto(
  dataset: Dataset,
  options: { seed: number; protocol: SplitProtocol; maxTrials: number; maxMs: number; candidates?: string[] },
): Promise<AutoChoice> {
  const { championCandidates, getAlgorithm } = await import('../domain/algorithms/registry.js');
  const names = options.candidates ?? championCandidates();
  for (const a of names) getAlgorithm(a);
  const { searchChampion, describeChampion } = await import('../domain/tuning/champion.js');
  const { optionsWithMembers, searchSpaceOf, trainWithParams } = await import(
    '../domain/tuning/search-spaces.js'
  );
  const search = await searchChampion(dataset, {
    candidates: names.map((algorithm) => ({
      algorithm,
      searchSpace: searchSpaceOf(algorithm),
      estimatedMs: 0,
    })),
    train: trainWithParams,
    maxTrials: options.maxTrials,
    maxMs: options.maxMs,
    seed: options.seed,
    metric: 'precision',
    k: 10,
    protocol: options.protocol,
    onTrial: (r, done, total) =>
      process.stderr.write(
        `auto: trial ${done}/${total} ${r.algorithm} ${JSON.stringify(r.params)} → ${r.score === undefined ? `rejected: ${r.error}` : r.score.toFixed(4)} (${(r.ms / 1000).toFixed(1)} s)\n`,
      ),
  });
  const champion = search.selection.champion;
  if (!champion) throw new ValidationError('auto: every validation trial failed', 'algorithm');
  const skipped = search.skipped > 0 ? `; ${search.skipped} trials not run (--tune-minutes)` : '';
  const summary = `auto → ${champion.algorithm}: ${describeChampion(search.selection, 'precision', 10)}; ${search.results.length} trials on ${search.validationUsers} validation users carved from the training data in ${(search.ms / 1000).toFixed(1)} s${skipped}`;
  console.log(summary);
  return {
    algorithm: champion.algorithm,
    params: champion.params,
    summary,
    // a blend champion trains its members with their tuned params (the search's best per member)
    train: (ds, seed) =>
      trainWithParams(
        champion.algorithm,
        ds,
        optionsWithMembers(champion.algorithm, champion.params, search.selection.best, options.protocol),
        seed,
      ),
  };
}
