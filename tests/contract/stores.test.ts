import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { makeDynamoClients } from '../../shared/adapters/dynamodb/clients.js';
import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import { DynamoPipelineStateStore } from '../../shared/adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from '../../shared/adapters/dynamodb/popularity-store.js';
import { DynamoRecommendationStore } from '../../shared/adapters/dynamodb/recommendation-store.js';
import { DynamoUserProfileStore } from '../../shared/adapters/dynamodb/user-profile-store.js';
import { defaultTableNames, type LogicalTable } from '../../shared/adapters/dynamodb/tables.js';
import {
  createTables,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/adapters/local/dynalite-server.js';
import { MemoryNgItemStore } from '../../shared/adapters/memory/ng-item-store.js';
import { MemoryPipelineStateStore } from '../../shared/adapters/memory/pipeline-state-store.js';
import { MemoryPopularityStore } from '../../shared/adapters/memory/popularity-store.js';
import { MemoryRecommendationStore } from '../../shared/adapters/memory/recommendation-store.js';
import { MemoryUserProfileStore } from '../../shared/adapters/memory/user-profile-store.js';
import { describeNgItemStore } from './ng-item-store.contract.js';
import { describePipelineStateStore } from './pipeline-state-store.contract.js';
import { describePopularityStore } from './popularity-store.contract.js';
import { describeRecommendationStore } from './recommendation-store.contract.js';
import { describeUserProfileStore } from './user-profile-store.contract.js';

// In-memory adapters: the reference semantics.
describeRecommendationStore('memory', async () => new MemoryRecommendationStore());
describePopularityStore('memory', async () => new MemoryPopularityStore());
describeUserProfileStore('memory', async () => new MemoryUserProfileStore());
describeNgItemStore('memory', async () => new MemoryNgItemStore());
describePipelineStateStore('memory', async () => new MemoryPipelineStateStore());

// DynamoDB adapters against dynalite on a free loopback port: real API calls, one fresh table per test.
let local: LocalDynamo;
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let tables = 0;

beforeAll(async () => {
  local = await startLocalDynamo();
  ({ client, doc } = makeDynamoClients(local.endpoint));
});

afterAll(async () => {
  client?.destroy();
  await local?.stop();
});

async function freshTable(table: LogicalTable): Promise<string> {
  const names = defaultTableNames(`contract-${++tables}`);
  await createTables(client, names, { only: [table] });
  return names[table];
}

describeRecommendationStore(
  'dynamodb',
  async () => new DynamoRecommendationStore(doc, { tableName: await freshTable('recommendations') }),
);
describePopularityStore(
  'dynamodb',
  async () => new DynamoPopularityStore(doc, { tableName: await freshTable('recommendations') }),
);
describeUserProfileStore(
  'dynamodb',
  async () => new DynamoUserProfileStore(doc, { tableName: await freshTable('users') }),
);
describeNgItemStore(
  'dynamodb',
  async () => new DynamoNgItemStore(doc, { tableName: await freshTable('ngItems') }),
);
describePipelineStateStore(
  'dynamodb',
  async () => new DynamoPipelineStateStore(doc, { tableName: await freshTable('state') }),
);
