import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_GENERATE_OPTIONS, resolveGenerateOptions, writeShop } from '../../domain/data/generator.js';

interface GenerateCliOptions {
  out: string;
  users?: string;
  items?: string;
  days?: string;
  seed?: string;
  end?: string;
}

/** `osusume generate --out DIR [--users N --items M --days D --seed S --end DATE]`. */
export function register(program: Command): void {
  const d = DEFAULT_GENERATE_OPTIONS;
  program
    .command('generate')
    .description(
      'write a synthetic shop (interactions.csv, users.csv, items.csv) in the Personalize CSV contract',
    )
    .requiredOption('-o, --out <dir>', 'output folder (created if missing)')
    .option('--users <n>', `number of users (default ${d.users})`)
    .option('--items <n>', `number of items (default ${d.items})`)
    .option('--days <n>', `length of the period in days (default ${d.days})`)
    .option('--seed <n>', `random seed (default ${d.seed})`)
    .option('--end <date>', 'end of the period: ISO date or unix seconds (default 2026-11-01T00:00:00Z)')
    .action(async (opts: GenerateCliOptions) => {
      // Validated before any file is touched; a ValidationError is printed by main as `osusume: ...`.
      const options = resolveGenerateOptions({
        users: opts.users,
        items: opts.items,
        days: opts.days,
        seed: opts.seed,
        end: opts.end,
      });
      const started = performance.now();
      const counts = await writeShop(options, opts.out);
      const seconds = (performance.now() - started) / 1000;
      let bytes = 0;
      for (const f of ['interactions.csv', 'users.csv', 'items.csv'])
        bytes += (await stat(join(opts.out, f))).size;
      console.log(
        `generated ${counts.users} users, ${counts.items} items, ${counts.interactions} interactions ` +
          `(seed ${options.seed}, ${options.days} days to ${new Date(options.end * 1000).toISOString()}) ` +
          `in ${opts.out} [${(bytes / 1048576).toFixed(1)} MiB, ${seconds.toFixed(2)} s]`,
      );
    });
}
