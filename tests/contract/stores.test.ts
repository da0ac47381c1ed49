import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import { DynamoPipelineStateStore } from '../../shared/adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from '../../shared/adapters/dynamodb/popularity-store.js';
import { DynamoRecommendationStore } from '../../shared/adapters/dynamodb/recommendation-store.js';
import { DynamoUserProfileStore } from '../../shared/adapters/dynamodb/user-profile-store.js';
import { MemoryNgItemStore } from '../../shared/adapters/memory/ng-item-store.js';
import { MemoryPipelineStateStore } from '../../shared/adapters/memory/pipeline-state-store.js';
import { MemoryPopularityStore } from '../../shared/adapters/memory/popularity-store.js';
import { MemoryRecommendationStore } from '../../shared/adapters/memory/recommendation-store.js';
import { MemoryUserProfileStore } from '../../shared/adapters/memory/user-profile-store.js';
import { useDynalite } from '../helpers/dynalite.js';
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
const dynamo = useDynalite('contract');
const freshTable = dynamo.freshTable;
const doc = () => dynamo.doc();

describeRecommendationStore(
  'dynamodb',
  async () => new DynamoRecommendationStore(doc(), { tableName: await freshTable('recommendations') }),
);
describePopularityStore(
  'dynamodb',
  async () => new DynamoPopularityStore(doc(), { tableName: await freshTable('recommendations') }),
);
describeUserProfileStore(
  'dynamodb',
  async () => new DynamoUserProfileStore(doc(), { tableName: await freshTable('users') }),
);
describeNgItemStore(
  'dynamodb',
  async () => new DynamoNgItemStore(doc(), { tableName: await freshTable('ngItems') }),
);
describePipelineStateStore(
  'dynamodb',
  async () => new DynamoPipelineStateStore(doc(), { tableName: await freshTable('state') }),
);
