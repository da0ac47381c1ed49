import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { REPO_ROOT } from '../../adapters/local/repo-root.js';
import { ValidationError } from '../../domain/errors.js';
import { intOption } from '../options.js';
import { assertPortFree } from '../ports.js';

interface StartOptions {
  data?: string;
  dbPath?: string;
  port?: string;
  dbPort?: string;
  seed: string;
}

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
    .option('--db-port <n>', 'port of the embedded DynamoDB (default: any free port)')
    .option('--seed <n>', 'seed of the generated sample shop', '42')
    .action(async (opts: StartOptions) => {
      const started = Date.now();
      const port = intOption(opts.port ?? process.env.PORT ?? '3000', '--port', 0, 65535);
      const dbPort = intOption(opts.dbPort ?? '0', '--db-port', 0, 65535);
      const seed = intOption(opts.seed, '--seed', 0, 2 ** 31 - 1);
      if (port !== 0 && port === dbPort)
        throw new ValidationError('--port and --db-port must differ', '--db-port');
      // before the ~10 s pipeline run, not after it
      await assertPortFree(port, '--port');
      await assertPortFree(dbPort, '--db-port');
      // quiet JSON logs and EMF metrics on the terminal unless asked for. Set before the imports below: the
      // Powertools logger and metrics read them once, when http-server.ts first loads them (set after, every
      // request wrote an INFO line and an EMF blob to stdout, synchronously when stdout is a pipe)
      process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
      process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
      // loaded here, not at registration, so `osusume --help` does not load the AWS SDK
      const { startHttpServer } = await import('../../adapters/local/http-server.js');
      const { startLocalStack } = await import('../../adapters/local/local-stack.js');
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
        dbPort,
        seed,
        log,
      });
      // POST /admin/pipeline/runs runs the same ASL in this process, on the data being served
      process.env.PIPELINE_RUNS ??= 'local';
      // imported after the stack has set the environment the composition reads
      const { runLocalPublish, QUICK_START_OPTIONS } = await import('../../adapters/local/local-publish.js');
      const { configureLocalPipelineRuns } = await import('../../adapters/local/local-pipeline-runs.js');
      const { getContainer } = await import('../../composition.js');
      configureLocalPipelineRuns({
        root: REPO_ROOT,
        data: stack.dataDir,
        options: QUICK_START_OPTIONS,
        // on AWS a new version reaches the request Lambdas within POINTER_CACHE_TTL_SECONDS; here at once
        onSucceeded: () => {
          getContainer().pointers.refresh();
          getContainer().popularity.refresh();
        },
      });
      await runLocalPublish(stack.dataset, log, stack.dataDir);
      const http = await startHttpServer({ root: REPO_ROOT, port });
      const users = stack.dataset.users.ids;
      log(`admin token: ${process.env.OSUSUME_ADMIN_TOKEN}`);
      log(`app key: ${appKey} (header x-api-key on /users/{userId}/recommendations and /events)`);
      const db = stack.dynamo.endpoint;
      log(`DynamoDB endpoint: ${db} (any credentials; e.g. aws dynamodb list-tables --endpoint-url ${db})`);
      // the token and app key ride in the fragment, which the browser keeps to itself (never sent, never logged)
      log(
        `console: ${http.url}/console#token=${encodeURIComponent(process.env.OSUSUME_ADMIN_TOKEN ?? '')}&appKey=${encodeURIComponent(appKey)} (open it in a browser)`,
      );
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
