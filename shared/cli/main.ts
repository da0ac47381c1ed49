import '../polyfills.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { REPO_ROOT } from '../adapters/local/repo-root.js';
import { failCli } from './errors.js';

/**
 * Each command lives in shared/cli/commands/<name>.ts and exports `register(program)`.
 * Registration only declares options; heavy modules (AWS SDK, algorithms) are imported inside the actions,
 * so `osusume --help` stays fast.
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
  // errors outside the command's promise (an 'error' event, a stray rejection) get the same one line
  process.on('uncaughtException', failCli);
  process.on('unhandledRejection', failCli);
  const program = new Command();
  program
    .name('osusume')
    .description('osusume (おすすめ): serverless recommender for online shops')
    .version(
      (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
      '-V, --version',
      'print the version',
    )
    // commander's usage errors in the same one-line form as ours (inherited by every subcommand)
    .configureOutput({
      outputError: (message, write) =>
        write(`osusume: ${message.replace(/^error: /, '').trimEnd()} (see --help)\n`),
    });
  // the command named on the line is the only one loaded (each pulls its own dependencies, ≈ 30-80 ms of a
  // batch run's start); help, a typo or no command loads all, so the listing and the error stay complete
  const named = process.argv[2];
  const loads = Object.hasOwn(COMMANDS, named ?? '') ? [COMMANDS[named]] : Object.values(COMMANDS);
  for (const load of loads) (await load()).register(program);
  await program.parseAsync(process.argv);
}

main().catch(failCli);
