import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { REPO_ROOT } from '../../adapters/local/repo-root.js';
import { ValidationError } from '../../domain/errors.js';
import { machineInput, PIPELINE_MACHINES, type PipelineMachine } from '../../domain/pipeline/runs.js';
import { intOption } from '../options.js';

const MACHINES = PIPELINE_MACHINES;
type Machine = PipelineMachine;
/** `pipeline run` also takes `all`; help text and error messages both come from these lists. */
const RUN_MACHINES = [...MACHINES, 'all'] as const;

/** The --machine option, whose help and "allowed choices" error both list exactly `choices`. */
function machineOption(choices: readonly string[], fallback: string): Option {
  return new Option('--machine <name>', 'state machine').choices(choices).default(fallback);
}

/** `osusume pipeline run|start|status`: the nightly pipelines locally and on AWS. */
export function register(program: Command): void {
  const pipeline = program
    .command('pipeline')
    .description('run the nightly pipelines locally, or start and inspect them on AWS');

  pipeline
    .command('run')
    .description(
      'run the state machines locally (same ASL, real handlers, embedded DynamoDB, simulated Personalize)',
    )
    .option('--data <dir>', 'dataset folder (3-CSV contract); default: generated sample shop')
    .addOption(machineOption(RUN_MACHINES, 'all'))
    .option('--hpo', 'force hyperparameter optimisation in the Personalize retraining')
    .option('--tune', "run the nightly scoring's Tune stage even when it is not due")
    .option('--shard-users <n>', 'users per scoring shard')
    .option('--quick', 'FM with fewer epochs (as npm start)')
    .option(
      '--db-endpoint <url>',
      'publish into a running local stack (the DynamoDB endpoint `osusume start` prints) instead of a throw-away one; needs --data',
    )
    .action(
      async (opts: {
        data?: string;
        machine: string;
        hpo?: boolean;
        tune?: boolean;
        shardUsers?: string;
        quick?: boolean;
        dbEndpoint?: string;
      }) => {
        const machines: Machine[] = opts.machine === 'all' ? [...MACHINES] : [opts.machine as Machine];
        process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
        process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
        const log = (line: string) => console.log(`[pipeline] ${line}`);
        const stack = opts.dbEndpoint
          ? await attachLocalStack(opts.dbEndpoint, opts.data, log)
          : await (await import('../../adapters/local/local-stack.js')).startLocalStack({
              data: opts.data && resolve(opts.data),
              log,
            });
        try {
          const { runLocalPipeline, formatTimings } = await import('../../adapters/local/local-pipeline.js');
          const { QUICK_START_OPTIONS } = await import('../../adapters/local/local-publish.js');
          let failed = false;
          for (const machine of machines) {
            const options = {
              ...(opts.quick ? QUICK_START_OPTIONS : {}),
              ...(opts.shardUsers
                ? { shardUsers: intOption(opts.shardUsers, '--shard-users', 1, 10_000_000) }
                : {}),
            };
            const input = {
              ...machineInput(machine, { data: stack.dataDir, hpo: opts.hpo, tune: opts.tune }, 'cli'),
              options,
            };
            let services: Awaited<ReturnType<typeof localPersonalize>> | undefined;
            if (machine === 'personalize') services = await localPersonalize();
            log(
              `--- ${machine} (statemachines/${machine === 'scoring' ? 'nightly-scoring' : 'personalize-retraining'}.asl.json)`,
            );
            const result = await runLocalPipeline({
              root: REPO_ROOT,
              machine,
              input,
              log,
              services: services?.services,
            });
            log(`${machine}: ${result.status} in ${(result.ms / 1000).toFixed(1)} s`);
            if (result.status !== 'SUCCEEDED') {
              failed = true;
              log(`  error: ${result.error}`);
              log(`  cause: ${result.cause}`);
            } else {
              log(`  output: ${JSON.stringify(summarise(result.output))}`);
            }
            log('  time per state:');
            for (const line of formatTimings(result)) log(line);
          }
          if (failed) process.exitCode = 1;
        } finally {
          await stack.stop();
        }
      },
    );

  pipeline
    .command('start')
    .description(
      'start a pipeline execution on AWS (deterministic execution name: a retried request does not start a second run)',
    )
    .requiredOption('--stage <stage>', 'deployed stage')
    .addOption(machineOption(MACHINES, 'scoring'))
    .option('--hpo', 'Personalize retraining with hyperparameter optimisation')
    .option('--tune', 'nightly scoring with the Tune stage even when it is not due')
    .option('--data <uri>', 'dataset prefix s3://bucket/prefix (default: the stage DATASET_URI)')
    .option('--region <region>', 'AWS region (default $AWS_REGION or ap-northeast-1)')
    .action(
      async (opts: {
        stage: string;
        machine: string;
        hpo?: boolean;
        tune?: boolean;
        data?: string;
        region?: string;
      }) => {
        const machine = opts.machine as Machine;
        if (opts.data && !opts.data.startsWith('s3://'))
          throw new ValidationError(`--data must be an s3:// prefix on AWS, got '${opts.data}'`, '--data');
        const { SFNClient } = await import('@aws-sdk/client-sfn');
        const { startPipeline } = await import('../../adapters/sfn/pipeline-control.js');
        const client = new SFNClient({ region: opts.region ?? process.env.AWS_REGION ?? 'ap-northeast-1' });
        const r = await startPipeline(client, {
          stage: opts.stage,
          machine,
          input: machineInput(machine, opts, 'manual'),
        });
        console.log(
          r.started
            ? `started ${r.name}\n  ${r.executionArn}`
            : `already started: ${r.name} (${r.status})\n  ${r.executionArn}`,
        );
      },
    );

  pipeline
    .command('status')
    .description('list recent executions on AWS and the failed state of failed ones')
    .requiredOption('--stage <stage>', 'deployed stage')
    .addOption(machineOption(MACHINES, 'scoring'))
    .option('--limit <n>', 'executions to list', '10')
    .option('--region <region>', 'AWS region (default $AWS_REGION or ap-northeast-1)')
    .action(async (opts: { stage: string; machine: string; limit: string; region?: string }) => {
      const machine = opts.machine as Machine;
      const { SFNClient } = await import('@aws-sdk/client-sfn');
      const { listPipelineRuns } = await import('../../adapters/sfn/pipeline-control.js');
      const client = new SFNClient({ region: opts.region ?? process.env.AWS_REGION ?? 'ap-northeast-1' });
      const runs = await listPipelineRuns(client, {
        stage: opts.stage,
        machine,
        limit: intOption(opts.limit, '--limit', 1, 1000),
      });
      if (runs.length === 0) console.log('no executions');
      for (const r of runs) {
        console.log(`${r.startDate?.toISOString() ?? '-'}  ${r.status.padEnd(9)}  ${r.name}`);
        if (r.error) console.log(`    ${r.error}: ${r.cause ?? ''}`);
        if (r.champion) console.log(`    champion: ${r.champion}`);
      }
    });
}

/**
 * A running local stack (`osusume start`) as the pipeline's target: its DynamoDB endpoint and tables of
 * stage `local`, checked before any work. The server picks the new versions up within
 * POINTER_CACHE_TTL_SECONDS; `POST /admin/pipeline/runs` on the server also merges the events it was posted.
 */
async function attachLocalStack(
  endpoint: string,
  data: string | undefined,
  log: (line: string) => void,
): Promise<{ dataDir: string; stop(): Promise<void> }> {
  if (!data) throw new ValidationError('--db-endpoint needs --data DIR (the dataset to train on)', '--data');
  if (!/^https?:\/\/[^/\s]+\/?$/.test(endpoint))
    throw new ValidationError(
      `--db-endpoint must be a URL like http://127.0.0.1:8000, got '${endpoint}'`,
      '--db-endpoint',
    );
  const [
    { makeDynamoClients },
    { defaultTableNames, LOGICAL_TABLES },
    { TABLE_ENV },
    { DescribeTableCommand },
  ] = await Promise.all([
    import('../../adapters/dynamodb/clients.js'),
    import('../../adapters/dynamodb/tables.js'),
    import('../../config/config.js'),
    import('@aws-sdk/client-dynamodb'),
  ]);
  const names = defaultTableNames('local');
  const { client } = makeDynamoClients(endpoint);
  try {
    await client.send(new DescribeTableCommand({ TableName: names.state }));
  } finally {
    client.destroy();
  }
  process.env.OSUSUME_STAGE = 'local';
  process.env.DYNAMODB_ENDPOINT = endpoint;
  for (const t of LOGICAL_TABLES) process.env[TABLE_ENV[t]] = names[t];
  log(`publishing into the running stack at ${endpoint}`);
  return { dataDir: resolve(data), stop: async () => undefined };
}

/** The Personalize control-plane simulator's service integrations (loaded only for that machine). */
async function localPersonalize() {
  const { PersonalizeSimulator } = await import('../../adapters/local/personalize-simulator.js');
  const { StateParameterStore } = await import('../../adapters/local/state-parameters.js');
  const { getPipelineDeps } = await import('../../pipeline/pipeline-container.js');
  // the deployed campaign's ARN goes where the local server reads it (the state table)
  const sim = new PersonalizeSimulator({ parameters: new StateParameterStore(getPipelineDeps().state) });
  return { sim, services: sim.services() };
}

/** The execution output without bulky fields, for one terminal line. */
function summarise(output: unknown): unknown {
  if (!output || typeof output !== 'object') return output;
  const { models: _models, gate: _gate, ...rest } = output as Record<string, unknown>;
  return rest;
}
