import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, TABLE_ENV } from '../../config/config.js';
import type { Dataset } from '../../domain/data/dataset.js';
import { writeShop } from '../../domain/data/generator.js';
import { formatSkippedRows } from '../../domain/data/load-report.js';
import { loadDataset } from '../../domain/data/loader.js';
import { type DynamoTimeouts, makeDynamoClients } from '../dynamodb/clients.js';
import { defaultTableNames, LOGICAL_TABLES } from '../dynamodb/tables.js';
import { createTables, type LocalDynamo, startLocalDynamo } from './dynalite-server.js';

export interface LocalStackOptions {
  /** A dataset folder in the 3-CSV contract; absent = generate the sample shop. */
  readonly data?: string;
  /** Persist the embedded DynamoDB here; absent = a temp dir removed on stop. */
  readonly dbPath?: string;
  /** Port of the embedded DynamoDB; absent or 0 = any free port. */
  readonly dbPort?: number;
  readonly stage?: string;
  readonly seed?: number;
  readonly users?: number;
  readonly items?: number;
  /** Progress lines for the terminal. */
  readonly log?: (line: string) => void;
}

export interface LocalStack {
  readonly dynamo: LocalDynamo;
  readonly dataDir: string;
  readonly dataset: Dataset;
  stop(): Promise<void>;
}

/** Deadlines of the local stack's own set-up calls (CreateTable), against the embedded DynamoDB. */
const SETUP_TIMEOUTS: DynamoTimeouts = { timeoutMs: 30_000, maxAttempts: 3 };

/**
 * Starts the embedded DynamoDB, creates the tables, points this process's configuration at them
 * (the same variables serverless.yml sets on AWS) and loads the dataset (generating the sample
 * shop when none is given). Handlers imported after this call talk to the embedded server.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const stage = options.stage ?? 'local';
  const names = defaultTableNames(stage);
  // The handlers read the configuration lazily; check it now with the tables this stack will create, so a bad
  // variable (e.g. an OSUSUME_ADMIN_TOKEN under 16 characters) stops the start with its name, not a task later.
  parseConfig({
    ...process.env,
    OSUSUME_STAGE: stage,
    DYNAMODB_ENDPOINT: 'http://127.0.0.1:1',
    ...Object.fromEntries(LOGICAL_TABLES.map((t) => [TABLE_ENV[t], names[t]])),
  });
  const tmp = await mkdtemp(join(tmpdir(), 'osusume-'));
  const dynamo = await startLocalDynamo({
    dbPath: options.dbPath ?? join(tmp, 'db'),
    port: options.dbPort,
    worker: true,
  });
  log(
    `embedded DynamoDB (dynalite) on ${dynamo.endpoint}${options.dbPath ? ` (data in ${options.dbPath})` : ''}`,
  );
  // table creation is set-up, not the request path: the just-started worker may take seconds to answer its
  // first calls on a loaded machine (CI runs test files in parallel), so it gets a set-up deadline
  const { client } = makeDynamoClients(dynamo.endpoint, undefined, SETUP_TIMEOUTS);
  await createTables(client, names);
  client.destroy();
  process.env.OSUSUME_STAGE = stage;
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  for (const t of LOGICAL_TABLES) process.env[TABLE_ENV[t]] = names[t];
  log(`tables: ${LOGICAL_TABLES.map((t) => names[t]).join(', ')}`);

  let dataDir = options.data;
  if (!dataDir) {
    dataDir = join(tmp, 'sample-shop');
    const counts = await writeShop(
      { seed: options.seed, users: options.users, items: options.items },
      dataDir,
    );
    log(`generated sample shop in ${dataDir}: ${JSON.stringify(counts)}`);
  }
  const dataset = await loadDataset(dataDir);
  const s = dataset.stats;
  log(
    `loaded ${dataDir}: ${dataset.interactions.length} interactions, ${dataset.users.size} users, ${dataset.items.size} items` +
      (s.interactions.skipped > 0 ? ` (${s.interactions.skipped} bad rows skipped)` : ''),
  );
  for (const line of formatSkippedRows(s)) log(line);
  return {
    dynamo,
    dataDir,
    dataset,
    async stop() {
      await dynamo.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
