import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { REPO_ROOT } from '../../adapters/local/repo-root.js';
import type { ImportSummary } from '../../domain/data/importers.js';
import { ValidationError } from '../../domain/errors.js';
import { loadDatasetReporting } from '../load-data.js';

type Importer = (src: string, out: string) => Promise<ImportSummary>;

/** Importable datasets: default source (under the data folder), what it is, and the converter (lazy). */
const SOURCES = new Map<string, { src: string; what: string; run: () => Promise<Importer> }>([
  [
    'movielens',
    {
      src: 'ml-100k',
      what: 'the MovieLens 100K folder holding u.data, u.user, u.item and u.genre (grouplens.org/datasets/movielens/100k)',
      run: async () => (await import('../../domain/data/importers.js')).importMovieLens,
    },
  ],
  [
    'taobao',
    {
      src: 'taobao-userbehavior-head/UserBehavior_head.csv',
      what: 'a Taobao UserBehavior CSV (user,item,category,behavior,timestamp; tianchi.aliyun.com dataset 649)',
      run: async () => (await import('../../domain/data/importers.js')).importTaobao,
    },
  ],
  [
    'session-rec',
    {
      src: 'yoochoose-rsc15-100k-dev/yoochoose-clicks-100k_train_tr.txt',
      what: 'a session-rec prepared file (tab-separated SessionId, ItemId, Time with that header; github.com/rn5l/session-rec)',
      run: async () => (await import('../../domain/data/importers.js')).importSessionRec,
    },
  ],
]);

/** `osusume import movielens|taobao|session-rec [--src PATH] --out DIR`. */
export function register(program: Command): void {
  program
    .command('import')
    .description(
      'convert a public dataset (MovieLens 100K, Taobao UserBehavior, session-rec sessions) into the Personalize 3-CSV contract',
    )
    .argument('<dataset>', `one of: ${[...SOURCES.keys()].join(', ')}`)
    .option(
      '--src <path>',
      `source (default: ${[...SOURCES]
        .map(([k, v]) => `${k} ${v.src}`)
        .join('; ')}, under ../shared/data beside the repository or $OSUSUME_DATA)`,
    )
    .requiredOption('-o, --out <dir>', 'output folder (created if missing)')
    .action(async (dataset: string, opts: { src?: string; out: string }) => {
      const source = SOURCES.get(dataset);
      if (!source) {
        throw new ValidationError(
          `unknown dataset "${dataset}" (expected ${[...SOURCES.keys()].join(', ')})`,
          'dataset',
        );
      }
      const src =
        opts.src ?? resolve(process.env.OSUSUME_DATA || resolve(REPO_ROOT, '../shared/data'), source.src);
      if (!opts.src && !existsSync(src))
        throw new ValidationError(
          `no ${dataset} data at ${src} (the default: ../shared/data beside the repository, or $OSUSUME_DATA); pass --src PATH, ${source.what}`,
          'src',
        );
      const started = performance.now();
      const summary = await (await source.run())(src, opts.out);
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
