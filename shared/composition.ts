import { PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import { makeDynamoClients } from './adapters/dynamodb/clients.js';
import { DynamoEventStore } from './adapters/dynamodb/event-store.js';
import { DynamoFilterStore } from './adapters/dynamodb/filter-store.js';
import { DynamoItemCatalogStore } from './adapters/dynamodb/item-catalog-store.js';
import { DynamoNgItemStore } from './adapters/dynamodb/ng-item-store.js';
import { FileConsoleAssets, findConsoleDist } from './adapters/fs/console-assets.js';
import { DynamoPipelineStateStore } from './adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from './adapters/dynamodb/popularity-store.js';
import { DynamoRecommendationStore } from './adapters/dynamodb/recommendation-store.js';
import { DynamoUserProfileStore } from './adapters/dynamodb/user-profile-store.js';
import {
  LocalPersonalizeStandIn,
  PERSONALIZE_STAND_IN_SOURCE,
} from './adapters/local/personalize-stand-in.js';
import {
  PersonalizeRankingRuntime,
  PersonalizeSimilarItemsRuntime,
} from './adapters/personalize/personalize-item-runtime.js';
import { PersonalizeRuntimeRecommender } from './adapters/personalize/personalize-runtime.js';
import { StateParameterStore } from './adapters/local/state-parameters.js';
import { workerDynamoHandler } from './adapters/local/dynalite-transport.js';
import { LazyArtifactReader } from './adapters/s3/lazy-artifact-reader.js';
import { SsmParameterReader } from './adapters/ssm/ssm-parameters.js';
import { type Config, config } from './config/config.js';
import { ALGORITHM_INDEX } from './domain/algorithms/served-algorithms.js';
import { type ExperimentConfig, parseExperimentConfig } from './domain/experiments/experiments.js';
import { ChampionSource } from './use-cases/champion.js';
import type { CandidateSource, ItemCandidateSource, PersonalizeItemRanker } from './ports/candidates.js';
import type { StaticAssetStore } from './ports/static-assets.js';
import type { EventStore } from './ports/events.js';
import { campaignParameterName } from './ports/parameters.js';
import type {
  FilterStore,
  ItemCatalogStore,
  NgItemStore,
  PipelineStateStore,
  PopularityStore,
  RecommendationStore,
} from './ports/stores.js';
import {
  NgList,
  PersonalizeOffSource,
  PersonalizeSource,
  PrecomputedSource,
  VersionPointers,
} from './use-cases/candidate-sources.js';
import { CachedProfiles } from './use-cases/cached-profiles.js';
import { FilterRegistry, ItemCatalogs } from './use-cases/filters.js';
import { DatasetColumnsSource } from './use-cases/catalog.js';
import { ColdAwarePersonalizeSource, KnownUsers } from './use-cases/known-users.js';
import { CachedCampaignArn } from './use-cases/personalize-campaign.js';
import { PopularitySource } from './use-cases/popularity-source.js';
import { PublishedSessionModel, SESSION_ARM, SessionKnnScorer } from './use-cases/session-index.js';
import {
  CachedRecentEvents,
  RecentEventsSessionSource,
  StoredSessionNeighbours,
  SESSION_NEIGHBOURS,
} from './use-cases/session-source.js';
import {
  BlendedItemSource,
  ITEM_LISTS,
  ItemAttributes,
  PersonalizeSimilarSource,
  RelabelledItemSource,
  SIMILAR_ITEMS,
  StoredItemLists,
} from './use-cases/surfaces.js';

/** Everything a handler needs, built once per process from the validated configuration. */
export interface Container {
  readonly config: Config;
  readonly experiments: ExperimentConfig;
  readonly recommendations: RecommendationStore;
  readonly popularityStore: PopularityStore;
  readonly profiles: CachedProfiles;
  readonly ngItems: NgItemStore;
  readonly state: PipelineStateStore;
  readonly popularity: PopularitySource;
  readonly pointers: VersionPointers;
  readonly ngList: NgList;
  /** Candidate source per arm algorithm. */
  readonly sources: Readonly<Record<string, CandidateSource>>;
  /** Interaction events and impressions (POST /events, the session arm, A/B reports). */
  readonly events: EventStore;
  /** Total budget of a recommendations request (REQUEST_BUDGET_MS). */
  readonly budgetMs: number;
  /** The request path's cached event reads (the session arm and the repeat policy share them). */
  readonly recentEvents: CachedRecentEvents;
  /** SESSION_RECENT_EVENTS: how many recent events make up the visitor's session. */
  readonly recentLimit: number;
  /** The published session kNN model of the session arm (when artifacts are configured). */
  readonly sessionModel?: PublishedSessionModel;
  /** Named filters (admin routes) and their request-path cache. */
  readonly filterStore: FilterStore;
  readonly filters: FilterRegistry;
  /** Item attributes per popularity version (the pipeline writes them, filters read them). */
  readonly itemCatalog: ItemCatalogStore;
  readonly catalogs: ItemCatalogs;
  /** The user's recent events for `Interactions.EVENT_TYPE` filters (cached like the session arm's). */
  readonly interactions: CachedRecentEvents;
  /** The latest dataset's columns (user attributes in queries, `metadata=` columns). */
  readonly columns: DatasetColumnsSource;
  /** Item attributes of the active version from its catalogue (`metadata=`, category fallbacks). */
  readonly itemAttributes: ItemAttributes;
  /** Similar-items source per arm algorithm (`default`: osusume's CF neighbours). */
  readonly similar: Readonly<Record<string, ItemCandidateSource>>;
  readonly coView: ItemCandidateSource;
  readonly attributeNeighbours: ItemCandidateSource;
  readonly boughtTogether: ItemCandidateSource;
  /** GetPersonalizedRanking of the personalize arm (PERSONALIZE_RANKING_CAMPAIGN_ARN, campaign mode only). */
  readonly ranker?: PersonalizeItemRanker;
}

/**
 * The one composition module: picks adapters from configuration. Locally DYNAMODB_ENDPOINT points the
 * same DynamoDB adapters at the embedded server; PERSONALIZE_MODE picks what serves the Personalize arm.
 */
export function buildContainer(cfg: Config = config()): Container {
  const { doc } = makeDynamoClients(
    cfg.DYNAMODB_ENDPOINT,
    cfg.AWS_REGION,
    { timeoutMs: cfg.DYNAMODB_TIMEOUT_MS, maxAttempts: cfg.DYNAMODB_MAX_ATTEMPTS },
    // the embedded DynamoDB of `osusume start` (this process's worker thread) over a port, not TCP
    workerDynamoHandler(cfg.DYNAMODB_ENDPOINT, cfg.DYNAMODB_TIMEOUT_MS),
  );
  const retentionSeconds = cfg.VERSION_RETENTION_DAYS * 86_400;
  const state = new DynamoPipelineStateStore(doc, { tableName: cfg.TABLE_STATE });
  const popularityStore = new DynamoPopularityStore(doc, {
    tableName: cfg.TABLE_RECOMMENDATIONS,
    retentionSeconds,
  });
  const recommendations = new DynamoRecommendationStore(doc, {
    tableName: cfg.TABLE_RECOMMENDATIONS,
    retentionSeconds,
  });
  const ngItems = new DynamoNgItemStore(doc, { tableName: cfg.TABLE_NG_ITEMS });
  const pointerTtl = cfg.POINTER_CACHE_TTL_SECONDS * 1000;
  // a slow state table may take half the request budget before the last known pointer answers
  const pointers = new VersionPointers(state, pointerTtl, undefined, cfg.REQUEST_BUDGET_MS / 2);
  const events = new DynamoEventStore(doc, { tableName: cfg.TABLE_EVENTS, ttlDays: cfg.EVENT_TTL_DAYS });
  const recentEvents = new CachedRecentEvents(
    events,
    cfg.SESSION_EVENTS_CACHE_MS,
    undefined,
    undefined,
    cfg.REQUEST_BUDGET_MS / 2,
  );
  // the published session kNN model (the session arm's stored model), loaded per version from the
  // artifacts; none configured: the neighbour lists score
  const sessionModel =
    cfg.ARTIFACT_BUCKET || cfg.ARTIFACT_DIR
      ? new PublishedSessionModel(
          pointers,
          new LazyArtifactReader({
            bucket: cfg.ARTIFACT_BUCKET,
            dir: cfg.ARTIFACT_DIR,
            region: cfg.AWS_REGION,
          }),
        )
      : undefined;
  // one arm per algorithm the nightly scores per user (the registry's generated index)
  const sources: Record<string, CandidateSource> = {};
  for (const a of ALGORITHM_INDEX) {
    if (!a.scoredPerUser) continue;
    const precomputed = new PrecomputedSource(a.name, a.name, pointers, recommendations);
    sources[a.name] =
      a.requestSource === 'recent-events'
        ? new RecentEventsSessionSource(a.name, precomputed, recentEvents, {
            recentLimit: cfg.SESSION_RECENT_EVENTS,
            neighbours: new StoredSessionNeighbours(pointers, recommendations, undefined, a.name),
            scorer: a.name === SESSION_ARM && sessionModel ? new SessionKnnScorer(sessionModel) : undefined,
          })
        : precomputed;
  }
  sources.personalize = personalizeSource(cfg, state, pointers, recommendations, sources, recentEvents);
  sources.auto = new ChampionSource(state, sources, pointerTtl);
  const filterStore = new DynamoFilterStore(doc, { tableName: cfg.TABLE_STATE });
  const itemCatalog = new DynamoItemCatalogStore(doc, {
    tableName: cfg.TABLE_RECOMMENDATIONS,
    retentionSeconds,
  });
  const popularity = new PopularitySource(state, popularityStore, pointerTtl);
  const catalogs = new ItemCatalogs(itemCatalog);
  const cfItems = new StoredItemLists(ITEM_LISTS.cf, ITEM_LISTS.cf, 'cf', pointers, recommendations);
  const coView = new StoredItemLists(
    ITEM_LISTS.session,
    SESSION_NEIGHBOURS,
    'session',
    pointers,
    recommendations,
  );
  // osusume's similar items: CF neighbours and session co-view blended (bench/results/surfaces.md)
  const similar = new BlendedItemSource(SIMILAR_ITEMS, [cfItems, coView]);
  return {
    config: cfg,
    experiments: parseExperimentConfig(cfg.EXPERIMENTS),
    recommendations,
    popularityStore,
    profiles: new CachedProfiles(
      new DynamoUserProfileStore(doc, { tableName: cfg.TABLE_USERS }),
      pointerTtl,
      undefined,
      undefined,
      cfg.REQUEST_BUDGET_MS / 2,
    ),
    ngItems,
    state,
    popularity,
    pointers,
    ngList: new NgList(ngItems, cfg.NG_CACHE_TTL_SECONDS * 1000),
    sources,
    events,
    budgetMs: cfg.REQUEST_BUDGET_MS,
    recentEvents,
    recentLimit: cfg.SESSION_RECENT_EVENTS,
    sessionModel,
    filterStore,
    // filters change as rarely as the NG list and reach other processes as fast
    filters: new FilterRegistry(filterStore, cfg.NG_CACHE_TTL_SECONDS * 1000),
    itemCatalog,
    catalogs,
    interactions: recentEvents,
    columns: new DatasetColumnsSource(state, pointerTtl),
    // the same pointer and catalogue caches as filters: one catalogue load per version per process
    itemAttributes: new ItemAttributes(popularity, catalogs),
    similar: {
      default: similar,
      session: coView,
      personalize: personalizeSimilar(cfg, similar),
    },
    coView,
    attributeNeighbours: new StoredItemLists(
      ITEM_LISTS.attributes,
      ITEM_LISTS.attributes,
      'popularity',
      pointers,
      recommendations,
    ),
    boughtTogether: new StoredItemLists(
      ITEM_LISTS.boughtTogether,
      ITEM_LISTS.boughtTogether,
      'popularity',
      pointers,
      recommendations,
    ),
    ranker:
      cfg.PERSONALIZE_MODE === 'campaign' && cfg.PERSONALIZE_RANKING_CAMPAIGN_ARN
        ? new PersonalizeRankingRuntime(
            new PersonalizeRuntimeClient({ region: cfg.AWS_REGION, maxAttempts: 1 }),
            {
              campaignArn: cfg.PERSONALIZE_RANKING_CAMPAIGN_ARN,
              filterArn: cfg.PERSONALIZE_FILTER_ARN,
              timeoutMs: cfg.PERSONALIZE_TIMEOUT_MS,
            },
          )
        : undefined,
  };
}

/**
 * The personalize arm's similar items: the Similar-Items campaign in campaign mode when its ARN is set,
 * else osusume's similar items labelled as the stand-in or as Personalize being off.
 */
function personalizeSimilar(cfg: Config, cfItems: ItemCandidateSource): ItemCandidateSource {
  if (cfg.PERSONALIZE_MODE === 'campaign' && cfg.PERSONALIZE_SIMILAR_ITEMS_CAMPAIGN_ARN)
    return new PersonalizeSimilarSource(
      new PersonalizeSimilarItemsRuntime(
        new PersonalizeRuntimeClient({ region: cfg.AWS_REGION, maxAttempts: 1 }),
        {
          campaignArn: cfg.PERSONALIZE_SIMILAR_ITEMS_CAMPAIGN_ARN,
          filterArn: cfg.PERSONALIZE_FILTER_ARN,
          timeoutMs: cfg.PERSONALIZE_TIMEOUT_MS,
        },
      ),
    );
  const label = cfg.PERSONALIZE_MODE === 'standin' ? 'personalize-standin' : 'personalize-off';
  return new RelabelledItemSource(`${label}:${SIMILAR_ITEMS}`, cfItems);
}

/**
 * The `personalize` arm by PERSONALIZE_MODE: the campaign (its ARN from the parameter the retraining
 * writes, cached, unless pinned), the labelled stand-in (only when asked for, or on stage local), or off:
 * another arm's lists labelled `personalize-off:<algorithm>`, or nothing so that popularity answers.
 */
function personalizeSource(
  cfg: Config,
  state: PipelineStateStore,
  pointers: VersionPointers,
  recommendations: RecommendationStore,
  others: Readonly<Record<string, CandidateSource>>,
  recentEvents: CachedRecentEvents,
): CandidateSource {
  if (cfg.PERSONALIZE_MODE === 'standin')
    return new PersonalizeSource(
      PERSONALIZE_STAND_IN_SOURCE,
      new LocalPersonalizeStandIn(pointers, recommendations),
    );
  if (cfg.PERSONALIZE_MODE === 'off') {
    const fallback = cfg.PERSONALIZE_OFF_FALLBACK;
    return new PersonalizeOffSource(fallback, fallback === 'popularity' ? undefined : others[fallback]);
  }
  const parameterName = cfg.PERSONALIZE_CAMPAIGN_PARAMETER ?? campaignParameterName(cfg.OSUSUME_STAGE);
  // locally the state table stands in for SSM (the simulator's ssm:putParameter writes it)
  const parameters = cfg.DYNAMODB_ENDPOINT
    ? new StateParameterStore(state)
    : new SsmParameterReader(cfg.AWS_REGION);
  const campaign = new CachedCampaignArn(
    parameters,
    parameterName,
    cfg.PERSONALIZE_CAMPAIGN_CACHE_SECONDS * 1000,
  );
  const campaignSource = new PersonalizeSource(
    'personalize',
    new PersonalizeRuntimeRecommender(
      new PersonalizeRuntimeClient({ region: cfg.AWS_REGION, maxAttempts: 1 }),
      {
        campaignArn: cfg.PERSONALIZE_CAMPAIGN_ARN ?? campaign,
        filterArn: cfg.PERSONALIZE_FILTER_ARN,
        timeoutMs: cfg.PERSONALIZE_TIMEOUT_MS,
      },
    ),
  );
  // users the campaign was not trained on get their segment's popularity unless they have recent events
  return new ColdAwarePersonalizeSource(
    campaignSource,
    new KnownUsers(state, cfg.POINTER_CACHE_TTL_SECONDS * 1000),
    recentEvents,
  );
}

let container: Container | undefined;

/** The process-wide container (clients are created on first use, then reused across invocations). */
export function getContainer(): Container {
  container ??= buildContainer();
  return container;
}

/** The console's built files (GET /console): read from the build folder, which the package carries. */
export function buildConsoleAssets(): StaticAssetStore {
  return new FileConsoleAssets(findConsoleDist());
}
