import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { type ImportSummary, importMovieLens, importTaobao } from '../../domain/data/importers.js';
import { ValidationError } from '../../domain/errors.js';
import { loadDatasetReporting } from '../load-data.js';

/** Repository root (this file is shared/cli/commands/import.ts). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Importable datasets: default source (relative to the repo root) and the converter. */
const SOURCES: Record<string, { src: string; run: (src: string, out: string) => Promise<ImportSummary> }> = {
  movielens: { src: '../shared/data/ml-100k', run: importMovieLens },
  taobao: { src: '../shared/data/taobao-userbehavior-head/UserBehavior_head.csv', run: importTaobao },
};

/** `osusume import movielens|taobao [--src PATH] --out DIR`. */
export function register(program: Command): void {
  program
    .command('import')
    .description(
      'convert a public dataset (MovieLens 100K or Taobao UserBehavior) into the Personalize 3-CSV contract',
    )
    .argument('<dataset>', `one of: ${Object.keys(SOURCES).join(', ')}`)
    .option(
      '--src <path>',
      `source (default: ${Object.entries(SOURCES)
        .map(([k, v]) => `${k} ${v.src}`)
        .join('; ')}, relative to the repo root)`,
    )
    .requiredOption('-o, --out <dir>', 'output folder (created if missing)')
    .action(async (dataset: string, opts: { src?: string; out: string }) => {
      const source = SOURCES[dataset];
      if (!source) {
        throw new ValidationError(
          `unknown dataset "${dataset}" (expected ${Object.keys(SOURCES).join(' or ')})`,
          'dataset',
        );
      }
      const src = opts.src ?? resolve(REPO_ROOT, source.src);
      const started = performance.now();
      const summary = await source.run(src, opts.out);
      const seconds = (performance.now() - started) / 1000;
      // Read the result back with the real loader, so a conversion bug shows up here and not at training time.
      const check = await loadDatasetReporting(opts.out);
      const s = check.stats;
      const skipped = s.interactions.skipped + (s.users?.skipped ?? 0) + (s.items?.skipped ?? 0);
      console.log(
        `imported ${dataset} from ${src} into ${opts.out} in ${seconds.toFixed(2)} s: ` +
          `${summary.interactions} interactions, ${summary.users} users rows, ${summary.items} items rows` +
          (summary.skipped > 0
            ? ` (${summary.skipped} source rows with out-of-range timestamps left out)`
            : '') +
          '; ' +
          `loads as ${check.users.size} users × ${check.items.size} items` +
          (skipped > 0
            ? ` (${skipped} rows skipped by the loader, e.g. ${s.interactions.errors[0] ?? ''})`
            : ''),
      );
    });
}
