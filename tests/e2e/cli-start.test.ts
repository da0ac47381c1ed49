import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressInfo, createServer } from 'node:net';
import { promisify } from 'node:util';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDynamoClients } from '../../shared/adapters/dynamodb/clients.js';
import { DynamoPipelineStateStore } from '../../shared/adapters/dynamodb/pipeline-state-store.js';
import { writeShop } from '../../shared/domain/data/generator.js';
import { ROOT, type Started, startOsusume } from '../helpers/start-process.js';

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('osusume start --db-port', () => {
  let app: Started;
  let dbPort: number;
  let dir: string;

  beforeAll(async () => {
    dbPort = await freePort();
    dir = await mkdtemp(join(tmpdir(), 'osusume-cli-start-'));
    await writeShop({ users: 200, items: 120, days: 10, seed: 3 }, join(dir, 'shop'));
    app = await startOsusume(['--db-port', String(dbPort), '--data', join(dir, 'shop')], {}, 150_000);
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the embedded DynamoDB on that port and prints the endpoint for other tools', async () => {
    const endpoint = `http://127.0.0.1:${dbPort}`;
    expect(app.output()).toContain(`DynamoDB endpoint: ${endpoint}`);
    const { client } = makeDynamoClients(endpoint);
    try {
      const tables = await client.send(new ListTablesCommand({}));
      expect(tables.TableNames).toContain('osusume-local-events');
    } finally {
      client.destroy();
    }
  });

  it('answers requests without a Powertools "No application metrics" line per request', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await fetch(`${app.url}/health`)).status).toBe(200);
      expect((await app.appFetch('/users/u000001/recommendations?numResults=3')).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 300)); // let the child's output arrive
    expect(app.output()).not.toContain('No application metrics to publish');
  });

  it('lets `osusume pipeline run --db-endpoint` publish a new version into the running stack', async () => {
    const endpoint = `http://127.0.0.1:${dbPort}`;
    const { doc, client } = makeDynamoClients(endpoint);
    const state = new DynamoPipelineStateStore(doc, { tableName: 'osusume-local-state' });
    try {
      const before = (await state.getActiveVersion('cf'))?.version;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          'shared/cli/osusume.mjs',
          'pipeline',
          'run',
          '--db-endpoint',
          endpoint,
          '--data',
          join(dir, 'shop'),
          '--machine',
          'scoring',
          '--quick',
        ],
        { cwd: ROOT, env: { ...process.env, QUALITY_GATE_MARGIN: '1' }, maxBuffer: 16 * 1024 * 1024 },
      );
      expect(stdout).toContain(`publishing into the running stack at ${endpoint}`);
      expect(stdout).toContain('scoring: SUCCEEDED');
      const after = (await state.getActiveVersion('cf'))?.version;
      expect(after).toBeDefined();
      expect(after).not.toBe(before);
    } finally {
      client.destroy();
    }
  }, 180_000);
});
