import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors.js';
import { ALGORITHM_INDEX } from '../../domain/algorithms/served-algorithms.js';
import { parseIntOption } from './evaluate.js';

interface BatchCliOptions {
  data: string;
  algorithm: string;
  input: string;
  output: string;
  numResults: string;
  seed: string;
}

/**
 * `osusume batch-recommend --data DIR --algorithm NAME (a registry name) --input users.jsonl
 * --output out.jsonl [--num-results 25] [--seed S]`: Amazon Personalize batch-inference JSON Lines.
 */
export function register(program: Command): void {
  program
    .command('batch-recommend')
    .description(
      'train once, then answer a JSON Lines file of {"userId": "..."} in the Amazon Personalize batch-inference format',
    )
    .requiredOption('-d, --data <dir>', 'dataset folder (interactions.csv, optional users.csv, items.csv)')
    .requiredOption(
      '-a, --algorithm <name>',
      `registered algorithm: ${ALGORITHM_INDEX.map((a) => a.name).join(', ')}`,
    )
    .requiredOption('-i, --input <file>', 'input JSON Lines, one {"userId": "..."} per line')
    .requiredOption('-o, --output <file>', 'output JSON Lines')
    .option('-n, --num-results <n>', 'items per user (1-500)', '25')
    .option('--seed <n>', 'seed of stochastic trainers', '42')
    .action(async (opts: BatchCliOptions) => {
      const { getAlgorithm, trainEntry } = await import('../../domain/algorithms/registry.js');
      const { loadDatasetReporting } = await import('../load-data.js');
      const { trainPopularity } = await import('../../domain/popularity/popularity.js');
      const { batchRecommend, resolveNumResults } = await import('../../domain/batch/batch-recommend.js');
      const entry = getAlgorithm(opts.algorithm);
      const numResults = resolveNumResults(parseIntOption(opts.numResults, 'num-results', 1));
      const seed = parseIntOption(opts.seed, 'seed', 0);
      if (opts.input === opts.output) throw new ValidationError('--input and --output must differ', 'output');

      const dataset = await loadDatasetReporting(opts.data);
      const started = performance.now();
      const fallback = trainPopularity(dataset);
      const recommender =
        opts.algorithm === 'popularity' ? fallback : trainEntry(entry, dataset, undefined, seed);
      const trainSeconds = (performance.now() - started) / 1000;

      const input = createReadStream(opts.input, { encoding: 'utf8' });
      // open the input first so a missing file fails before the output is created
      await once(input, 'open').catch((err: NodeJS.ErrnoException) => {
        throw new ValidationError(`cannot read --input ${opts.input}: ${err.code ?? err.message}`, 'input');
      });
      const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
      const out = createWriteStream(opts.output, { encoding: 'utf8' });
      const stats = { lines: 0, answered: 0, errors: 0, unknownUsers: 0, filled: 0 };
      const t1 = performance.now();
      for await (const line of batchRecommend(lines, { dataset, recommender, fallback, numResults }, stats)) {
        if (!out.write(`${line}\n`)) await once(out, 'drain');
      }
      out.end();
      await finished(out);
      const seconds = (performance.now() - t1) / 1000;
      console.log(
        `${opts.algorithm}: trained in ${trainSeconds.toFixed(2)} s; answered ${stats.answered} of ${stats.lines} lines ` +
          `(${stats.errors} bad, ${stats.unknownUsers} unknown users → popularity, ${stats.filled} filled) ` +
          `in ${seconds.toFixed(2)} s → ${opts.output}`,
      );
    });
}
