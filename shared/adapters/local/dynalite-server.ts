import type { AddressInfo } from 'node:net';
import { MessageChannel, Worker } from 'node:worker_threads';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DependencyError } from '../../domain/errors.js';
import { errorName } from '../dynamodb/call.js';
import { LOGICAL_TABLES, type LogicalTable, type TableNames, tableDefinitions } from '../dynamodb/tables.js';
import { createDynalite } from './dynalite-instance.mjs';
import { registerWorkerDynamo, unregisterWorkerDynamo, WorkerDynamoTransport } from './dynalite-transport.js';

/** A running in-process DynamoDB. */
export interface LocalDynamo {
  /** e.g. http://127.0.0.1:40123 */
  readonly endpoint: string;
  readonly port: number;
  /** Stops accepting connections and closes the store (destroy SDK clients first to free sockets). */
  stop(): Promise<void>;
}

/**
 * Starts dynalite in this process on 127.0.0.1. `port` 0 or absent picks a free port; `dbPath`
 * persists tables in a LevelDB directory, otherwise they live in memory. Table state changes are
 * instant (createTableMs 0) so local startup does not wait on fake CREATING states.
 */
export async function startLocalDynamo(
  options: { dbPath?: string; port?: number; worker?: boolean } = {},
): Promise<LocalDynamo> {
  if (options.worker) return startInWorker(options);
  const server = createDynalite(options.dbPath);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((err?: Error) => (err ? reject(err) : resolve()));
        // Keep-alive sockets of clients that were not destroyed would otherwise hold close() open.
        server.closeIdleConnections();
      });
      return stopped;
    },
  };
}

/**
 * Creates every table in `names` (or just `only`) that does not exist yet and waits until all are ACTIVE. Idempotent,
 * so `osusume start` can run it against a persisted dbPath on every launch. TTL is not enabled here
 * (dynalite lacks UpdateTimeToLive); on AWS the tables and their TTL come from serverless.yml.
 */
export async function createTables(
  client: DynamoDBClient,
  names: TableNames,
  options: { timeoutMs?: number; only?: readonly LogicalTable[] } = {},
): Promise<void> {
  const definitions = tableDefinitions(names);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  await Promise.all(
    (options.only ?? LOGICAL_TABLES).map(async (table) => {
      const input = definitions[table];
      const name = input.TableName!;
      let status = await describeStatus(client, name);
      if (status === undefined) {
        try {
          await client.send(new CreateTableCommand(input));
        } catch (err) {
          // Another process created it between describe and create: fine, wait for it below.
          if (errorName(err) !== 'ResourceInUseException') throw err;
        }
        status = await describeStatus(client, name);
      }
      while (status !== 'ACTIVE') {
        if (Date.now() > deadline)
          throw new DependencyError('dynamodb', `table ${name} not ACTIVE (is ${status})`);
        await new Promise((r) => setTimeout(r, 50));
        status = await describeStatus(client, name);
      }
    }),
  );
}

async function describeStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table?.TableStatus ?? 'UNKNOWN';
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

/**
 * The same server on a worker thread: `osusume start` uses it so that DynamoDB work runs on the
 * second core instead of delaying the API handlers on the main event loop. It still listens on its port
 * (other processes, the CLI, tools), and this process's SDK clients reach it over a MessagePort instead
 * (registered for its endpoint: see dynalite-transport.ts).
 */
async function startInWorker(options: { dbPath?: string; port?: number }): Promise<LocalDynamo> {
  const channel = new MessageChannel();
  const worker = new Worker(new URL('./dynalite-worker.mjs', import.meta.url), {
    workerData: { dbPath: options.dbPath, port: options.port, requests: channel.port2 },
    transferList: [channel.port2],
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port?: number; error?: string }) =>
      m.port ? resolve(m.port) : reject(new DependencyError('dynalite', m.error ?? 'failed to start')),
    );
    worker.once('error', reject);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  registerWorkerDynamo(endpoint, new WorkerDynamoTransport(channel.port1));
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        unregisterWorkerDynamo(endpoint);
        const done = () => {
          void worker.terminate().then(() => resolve());
        };
        worker.once('message', done);
        // a server with open keep-alive sockets may not report back: don't hang shutdown on it
        setTimeout(done, 2000).unref();
        worker.postMessage('stop');
      });
      return stopped;
    },
  };
}
