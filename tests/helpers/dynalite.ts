import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { type DocClient, makeDynamoClients } from '../../shared/adapters/dynamodb/clients.js';
import { defaultTableNames, type LogicalTable } from '../../shared/adapters/dynamodb/tables.js';
import {
  createTables,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/adapters/local/dynalite-server.js';

/**
 * Starts dynalite on a free loopback port for the calling test file (beforeAll/afterAll) and hands out
 * a fresh table per call, so every test talks to real DynamoDB API calls on an empty table.
 */
export function useDynalite(prefix: string) {
  let local: LocalDynamo;
  let client: DynamoDBClient;
  let doc: DocClient;
  let tables = 0;

  beforeAll(async () => {
    local = await startLocalDynamo();
    ({ client, doc } = makeDynamoClients(local.endpoint));
  });

  afterAll(async () => {
    client?.destroy();
    await local?.stop();
  });

  return {
    doc: () => doc,
    async freshTable(table: LogicalTable): Promise<string> {
      const names = defaultTableNames(`${prefix}-${++tables}`);
      await createTables(client, names, { only: [table] });
      return names[table];
    },
  };
}
