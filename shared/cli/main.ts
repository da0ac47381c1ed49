import '../polyfills.js';
import { Command } from 'commander';
import { DomainError } from '../domain/errors.js';

/**
 * Each command lives in shared/cli/commands/<name>.ts and exports `register(program)`.
 * Loaded lazily so `osusume --help` stays fast.
 */
const COMMANDS: Record<string, () => Promise<{ register: (program: Command) => void }>> = {
  start: () => import('./commands/start.js'),
  generate: () => import('./commands/generate.js'),
  evaluate: () => import('./commands/evaluate.js'),
  'batch-recommend': () => import('./commands/batch-recommend.js'),
  pipeline: () => import('./commands/pipeline.js'),
  import: () => import('./commands/import.js'),
  'ab-report': () => import('./commands/ab-report.js'),
  simulate: () => import('./commands/simulate.js'),
  personalize: () => import('./commands/personalize.js'),
};

async function main(): Promise<void> {
  const program = new Command();
  program
    .name('osusume')
    .description('osusume (おすすめ): serverless recommender for online shops')
    .showHelpAfterError();
  for (const load of Object.values(COMMANDS)) (await load()).register(program);
  await program.parseAsync(process.argv);
}

main().catch((err: unknown) => {
  if (err instanceof DomainError) {
    console.error(`osusume: ${err.message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
