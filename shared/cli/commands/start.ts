import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { startHttpServer } from '../../adapters/local/http-server.js';
import { startLocalStack } from '../../adapters/local/local-stack.js';
import { intOption } from '../options.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** `osusume start`: the whole system on this machine, served by the same handlers as Lambda. */
export function register(program: Command): void {
  program
    .command('start')
    .description(
      'start the embedded DynamoDB, load or generate data, publish rankings and serve the HTTP API',
    )
    .option(
      '--data <dir>',
      'dataset folder (interactions.csv, users.csv, items.csv); default: generated sample shop',
    )
    .option('--db-path <dir>', 'persist the embedded DynamoDB in this folder (default: temp dir)')
    .option('--port <n>', 'HTTP port (default: $PORT or 3000; 0 = any free port)')
    .option('--seed <n>', 'seed of the generated sample shop', '42')
    .action(async (opts: { data?: string; dbPath?: string; port?: string; seed: string }) => {
      const started = Date.now();
      const port = intOption(opts.port ?? process.env.PORT ?? '3000', '--port', 0, 65535);
      // quiet JSON logs and EMF metrics on the terminal unless asked for
      process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
      process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
      // X-Ray is off outside Lambda, but merely loading its SDK (the pipeline handlers' Tracer, run in this
      // process) installs an async_hooks context tracker that taxes every promise of the API server
      process.env.AWS_XRAY_MANUAL_MODE ??= 'true';
      process.env.OSUSUME_ADMIN_TOKEN ??= randomBytes(18).toString('base64url');
      // the app routes need an app key (x-api-key), as the Lambda authorizer demands on AWS
      process.env.OSUSUME_APP_KEYS ??= `local=${randomBytes(18).toString('base64url')}`;
      const appKey = process.env.OSUSUME_APP_KEYS.split(',')[0].split('=').slice(1).join('=');
      const log = (line: string) => console.log(`[osusume] ${line}`);
      const stack = await startLocalStack({
        data: opts.data && resolve(opts.data),
        dbPath: opts.dbPath && resolve(opts.dbPath),
        seed: intOption(opts.seed, '--seed', 0, 2 ** 31 - 1),
        log,
      });
      // POST /admin/pipeline/runs runs the same ASL in this process, on the data being served
      process.env.PIPELINE_RUNS ??= 'local';
      // imported after the stack has set the environment the composition reads
      const { runLocalPublish, QUICK_START_OPTIONS } = await import('../../adapters/local/local-publish.js');
      const { configureLocalPipelineRuns } = await import('../../adapters/local/local-pipeline-runs.js');
      const { getContainer } = await import('../../composition.js');
      configureLocalPipelineRuns({
        root: ROOT,
        data: stack.dataDir,
        options: QUICK_START_OPTIONS,
        // on AWS a new version reaches the request Lambdas within POINTER_CACHE_TTL_SECONDS; here at once
        onSucceeded: () => {
          getContainer().pointers.refresh();
          getContainer().popularity.refresh();
        },
      });
      await runLocalPublish(stack.dataset, log, stack.dataDir);
      const http = await startHttpServer({ root: ROOT, port });
      const users = stack.dataset.users.ids;
      log(`admin token: ${process.env.OSUSUME_ADMIN_TOKEN}`);
      log(`app key: ${appKey} (header x-api-key on /users/{userId}/recommendations and /events)`);
      log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s; listening on ${http.url}`);
      console.log('\nTry:');
      console.log(
        `  curl -H 'x-api-key: ${appKey}' '${http.url}/users/${encodeURIComponent(users[0] ?? 'u1')}/recommendations?numResults=5'`,
      );
      console.log(
        `  curl -H 'x-api-key: ${appKey}' '${http.url}/users/new-visitor/recommendations?numResults=5'`,
      );
      console.log(`  curl '${http.url}/health'\n`);
      const shutdown = async () => {
        await http.close();
        await stack.stop();
        process.exit(0);
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
