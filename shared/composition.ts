import { DynamoNgItemStore } from './adapters/dynamodb/ng-item-store.js';
import { DynamoPipelineStateStore } from './adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from './adapters/dynamodb/popularity-store.js';
import { DynamoRecommendationStore } from './adapters/dynamodb/recommendation-store.js';
import { DynamoUserProfileStore } from './adapters/dynamodb/user-profile-store.js';
import { makeDynamoClients } from './adapters/dynamodb/clients.js';
import { type Config, config } from './config/config.js';
import type {
  NgItemStore,
  PipelineStateStore,
  PopularityStore,
  RecommendationStore,
  UserProfileStore,
} from './ports/stores.js';
import { PopularitySource } from './use-cases/popularity-source.js';

/** Everything a handler needs, built once per process from the validated configuration. */
export interface Container {
  readonly config: Config;
  readonly recommendations: RecommendationStore;
  readonly popularityStore: PopularityStore;
  readonly profiles: UserProfileStore;
  readonly ngItems: NgItemStore;
  readonly state: PipelineStateStore;
  readonly popularity: PopularitySource;
}

/**
 * The one composition module: picks adapters from configuration. Locally DYNAMODB_ENDPOINT points the
 * same DynamoDB adapters at the embedded server; on AWS it is unset and the SDK's defaults apply.
 */
export function buildContainer(cfg: Config = config()): Container {
  const { doc } = makeDynamoClients(cfg.DYNAMODB_ENDPOINT, cfg.AWS_REGION);
  const retentionSeconds = cfg.VERSION_RETENTION_DAYS * 86_400;
  const state = new DynamoPipelineStateStore(doc, { tableName: cfg.TABLE_STATE });
  const popularityStore = new DynamoPopularityStore(doc, {
    tableName: cfg.TABLE_RECOMMENDATIONS,
    retentionSeconds,
  });
  return {
    config: cfg,
    recommendations: new DynamoRecommendationStore(doc, {
      tableName: cfg.TABLE_RECOMMENDATIONS,
      retentionSeconds,
    }),
    popularityStore,
    profiles: new DynamoUserProfileStore(doc, { tableName: cfg.TABLE_USERS }),
    ngItems: new DynamoNgItemStore(doc, { tableName: cfg.TABLE_NG_ITEMS }),
    state,
    popularity: new PopularitySource(state, popularityStore, cfg.POINTER_CACHE_TTL_SECONDS * 1000),
  };
}

let container: Container | undefined;

/** The process-wide container (clients are created on first use, then reused across invocations). */
export function getContainer(): Container {
  container ??= buildContainer();
  return container;
}
