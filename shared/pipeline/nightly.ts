/**
 * The nightly scoring pipeline's steps, one function per Task state of statemachines/nightly-scoring.asl.json.
 * Each step is idempotent for its input (a retried task rewrites the same keys), reads the run's dataset
 * snapshot, and never touches an active version pointer except publishRun.
 */
import { deserializeFm, serializeFm, trainFm } from '../domain/algorithms/fm.js';
import { gateKey, metricsHistoryKey, metricsKey } from '../domain/pipeline/record-keys.js';
import { deserializeItemCf, serializeItemCf, trainItemCf } from '../domain/algorithms/item-cf.js';
import type { Recommender } from '../domain/algorithms/recommender.js';
import type { TrainOptions } from '../domain/algorithms/registry.js';
import { deserializeSession, serializeSession, trainSession } from '../domain/algorithms/session.js';
import type { Dataset } from '../domain/data/dataset.js';
import { ValidationError } from '../domain/errors.js';
import { evaluateAlgorithms } from '../domain/evaluation/evaluate.js';
import type { RankingMetrics } from '../domain/evaluation/metrics.js';
import { decideGate, type GateDecision, type GateInput } from '../domain/pipeline/quality-gate.js';
import { planShards, type ShardDescriptor } from '../domain/pipeline/shard-plan.js';
import { neighbourListsOf } from '../domain/recommend/session-scoring.js';
import { computePopularityLists } from '../domain/popularity/popularity.js';
import type { UserRecommendations } from '../ports/types.js';
import { POPULARITY, type PopularityMeta, popularityMetaKey } from '../use-cases/popularity-source.js';
import { newVersionId, userProfiles } from '../use-cases/publish-popularity.js';
import { publishSessionNeighbours } from '../use-cases/session-source.js';
import type { MergeStats } from '../domain/events/export.js';
import type { CatalogMergeStats } from '../domain/catalog/catalog.js';
import { DATASET_COLUMNS_KEY, type DatasetColumns } from '../use-cases/catalog.js';
import { mergeCatalogWrites } from './catalog-merge.js';
import { mergeExportedEvents } from './event-merge.js';
import type { PipelineDeps } from './pipeline-container.js';
import { loadSnapshot, runKeys, snapshotDataset } from './snapshot.js';
import { ITEM_LISTS, publishSurfaceLists, type SurfaceCounts } from './surfaces.js';

/** Neighbours stored per item for request-time session scoring (≤ 100 keeps an item ≈ 2.5 KB). */
const SESSION_NEIGHBOURS_PER_ITEM = 50;

/** Algorithms with per-user lists scored in shards (names the request path reads). */
export const SCORED_ALGORITHMS = ['cf', 'fm', 'session'] as const;
export type ScoredAlgorithm = (typeof SCORED_ALGORITHMS)[number];
/** Every algorithm a nightly run publishes (each gets its own active version pointer). */
export const PUBLISHED_ALGORITHMS = [...SCORED_ALGORITHMS, POPULARITY] as const;

/** Execution input of the nightly scoring state machine (schedule, `osusume pipeline start/run`). */
export interface NightlyInput {
  /** Dataset to snapshot: s3://bucket/prefix or a folder; default DATASET_URI. */
  readonly data?: string;
  readonly trigger?: string;
  readonly options?: {
    readonly shardUsers?: number;
    readonly numResults?: number;
    /** Extra trainer options per algorithm, e.g. { fm: { epochs: 5 } } (also used by Evaluate). */
    readonly trainOptions?: Readonly<Record<string, TrainOptions>>;
    readonly seed?: number;
    /** Merge the events the API exported (POST /events) into the training data; default true. */
    readonly mergeEvents?: boolean;
    /** Merge the live users/items writes (POST /users, POST /items) into users/items; default true. */
    readonly mergeCatalog?: boolean;
  };
}

/** What Prepare hands to every later state ($.run). */
export interface RunContext {
  readonly version: string;
  readonly source: string;
  readonly snapshot: string;
  readonly files: string[];
  readonly users: number;
  readonly items: number;
  readonly interactions: number;
  readonly skippedRows: number;
  /** The API's exported events merged into this snapshot (absent when merging was off). */
  readonly events?: MergeStats & { readonly parts: number; readonly objects: number };
  /** The live POST /users and POST /items writes merged into this snapshot (absent when merging was off). */
  readonly catalog?: {
    readonly users: CatalogMergeStats & { readonly parts: number; readonly objects: number };
    readonly items: CatalogMergeStats & { readonly parts: number; readonly objects: number };
  };
  readonly numResults: number;
  readonly seed: number;
  readonly trainOptions: Readonly<Record<string, TrainOptions>>;
  readonly shards: ShardDescriptor[];
  readonly shardCount: number;
  /** True when the plan is large enough for the DISTRIBUTED Map (see PIPELINE_DISTRIBUTED_MIN_SHARDS). */
  readonly distributed: boolean;
  readonly startedAt: string;
}

const runRecordKey = (version: string) => `run#${version}`;
/** Record of the latest published nightly run (its snapshot feeds the Personalize imports). */
export const LATEST_RUN_KEY = 'run-latest';
export { metricsHistoryKey, metricsKey };
const HISTORY_LENGTH = 60;

/** Prepare: snapshot the dataset, validate it with the loader (bad rows counted, too many fail), plan shards. */
export async function prepareRun(deps: PipelineDeps, input: NightlyInput): Promise<RunContext> {
  const cfg = deps.config;
  const source = input.data ?? cfg.DATASET_URI;
  if (!source)
    throw new ValidationError('no dataset: pass "data" in the execution input or set DATASET_URI', 'data');
  const o = input.options ?? {};
  const shardUsers = o.shardUsers ?? cfg.PIPELINE_SHARD_USERS;
  const numResults = o.numResults ?? cfg.PIPELINE_NUM_RESULTS;
  if (!Number.isInteger(numResults) || numResults < 1 || numResults > 500)
    throw new ValidationError(`numResults must be in 1..500, got ${numResults}`, 'numResults');
  const version = newVersionId();
  const snapshot = runKeys.snapshot(version);
  const files = await snapshotDataset(deps.artifacts, source, snapshot);
  let events: RunContext['events'];
  if (o.mergeEvents !== false) {
    const to = Date.now();
    const merged = await mergeExportedEvents(deps.artifacts, snapshot, {
      from: to - cfg.TRAINING_HORIZON_DAYS * 86_400_000,
      to,
    });
    events = { ...merged.stats, parts: merged.parts.length, objects: merged.objects };
  }
  let catalog: RunContext['catalog'];
  if (o.mergeCatalog !== false) {
    const [users, items] = await Promise.all(
      (['users', 'items'] as const).map(async (kind) => {
        const m = await mergeCatalogWrites(deps.artifacts, snapshot, kind);
        return { ...m.stats, parts: m.parts.length, objects: m.objects };
      }),
    );
    catalog = { users, items };
  }
  const dataset = await loadSnapshot(deps.artifacts, snapshot, {
    maxBadRowShare: cfg.PIPELINE_MAX_BAD_ROW_SHARE,
  });
  // the columns POST /users and POST /items validate property names against
  const columns: DatasetColumns = {
    users: dataset.userAttributes.map((c) => c.name),
    items: dataset.itemAttributes.map((c) => c.name),
  };
  await deps.state.putRecord(DATASET_COLUMNS_KEY, columns);
  const s = dataset.stats;
  const skippedRows =
    s.interactions.skipped + (s.events?.skipped ?? 0) + (s.users?.skipped ?? 0) + (s.items?.skipped ?? 0);
  const shards = planShards(dataset.users.size, shardUsers);
  const run: RunContext = {
    version,
    source,
    snapshot,
    files,
    users: dataset.users.size,
    items: dataset.items.size,
    interactions: dataset.interactions.length,
    skippedRows,
    ...(events ? { events } : {}),
    ...(catalog ? { catalog } : {}),
    numResults,
    seed: o.seed ?? 42,
    trainOptions: o.trainOptions ?? {},
    shards,
    shardCount: shards.length,
    distributed: shards.length >= cfg.PIPELINE_DISTRIBUTED_MIN_SHARDS,
    startedAt: new Date().toISOString(),
  };
  await deps.state.putRecord(runRecordKey(version), { ...run, shards: undefined, status: 'running' });
  return run;
}

/** Input of the TrainCf / TrainFm / TrainSession states. */
export interface TrainInput {
  readonly algorithm: ScoredAlgorithm;
  readonly run: Pick<RunContext, 'version' | 'snapshot' | 'seed' | 'trainOptions'>;
}

export interface TrainOutput {
  readonly algorithm: string;
  readonly key: string;
  readonly bytes: number;
  readonly trainMs: number;
}

function assertScored(algorithm: string): asserts algorithm is ScoredAlgorithm {
  if (!(SCORED_ALGORITHMS as readonly string[]).includes(algorithm))
    throw new ValidationError(
      `unknown scored algorithm "${algorithm}"; allowed: ${SCORED_ALGORITHMS.join(', ')}`,
      'algorithm',
    );
}

/** Train: fits one algorithm on the snapshot and stores the serialised model (CF neighbours, FM, session). */
export async function trainModel(deps: PipelineDeps, input: TrainInput): Promise<TrainOutput> {
  assertScored(input.algorithm);
  const dataset = await loadSnapshot(deps.artifacts, input.run.snapshot, {
    maxBadRowShare: deps.config.PIPELINE_MAX_BAD_ROW_SHARE,
  });
  // options come from the execution input; each trainer validates its own keys
  const opts = { seed: input.run.seed, ...input.run.trainOptions[input.algorithm] } as Record<
    string,
    unknown
  >;
  const t0 = performance.now();
  let bytes: Uint8Array;
  if (input.algorithm === 'cf') {
    const model = trainItemCf(dataset, opts);
    bytes = serializeItemCf(model);
    // GET /items/{itemId}/similar reads the CF neighbours per item (shared/pipeline/surfaces.ts)
    await deps.recommendations.putUserLists(
      ITEM_LISTS.cf,
      input.run.version,
      neighbourListsOf(model.lists, dataset.items.ids, SESSION_NEIGHBOURS_PER_ITEM),
    );
  } else if (input.algorithm === 'fm') bytes = serializeFm(trainFm(dataset, opts));
  else {
    const model = trainSession(dataset, opts);
    bytes = serializeSession(model);
    // the request path scores a user's recent events with these lists (shared/use-cases/session-source.ts)
    await publishSessionNeighbours(
      deps.recommendations,
      input.run.version,
      neighbourListsOf(model.lists, dataset.items.ids, SESSION_NEIGHBOURS_PER_ITEM),
    );
  }
  const trainMs = Math.round(performance.now() - t0);
  const key = runKeys.model(input.run.version, input.algorithm);
  await deps.artifacts.put(key, bytes);
  return { algorithm: input.algorithm, key, bytes: bytes.byteLength, trainMs };
}

/** Input of one shard iteration (the Map's ItemSelector). */
export interface ShardInput {
  readonly algorithm: ScoredAlgorithm;
  readonly version: string;
  readonly snapshot: string;
  readonly numResults: number;
  readonly shard: ShardDescriptor;
}

export interface ShardOutput {
  readonly algorithm: string;
  readonly shard: number;
  readonly users: number;
  readonly written: number;
  readonly ms: number;
}

let modelCache: { key: string; model: Recommender } | undefined;

async function loadModel(deps: PipelineDeps, algorithm: ScoredAlgorithm, version: string, dataset: Dataset) {
  const key = runKeys.model(version, algorithm);
  if (modelCache?.key === key) return modelCache.model;
  const bytes = await deps.artifacts.get(key);
  const model: Recommender =
    algorithm === 'cf'
      ? deserializeItemCf(bytes, dataset.items)
      : algorithm === 'fm'
        ? deserializeFm(bytes)
        : deserializeSession(bytes, dataset.items);
  modelCache = { key, model };
  return model;
}

/** ScoreShard: top-N for the shard's users with the stored model, written under the run's version. */
export async function scoreShard(deps: PipelineDeps, input: ShardInput): Promise<ShardOutput> {
  assertScored(input.algorithm);
  const t0 = performance.now();
  const dataset = await loadSnapshot(deps.artifacts, input.snapshot, {
    maxBadRowShare: deps.config.PIPELINE_MAX_BAD_ROW_SHARE,
  });
  const { from, to, index } = input.shard;
  if (
    !(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to <= dataset.users.size && from <= to)
  )
    throw new ValidationError(`shard ${index} [${from}, ${to}) is outside 0..${dataset.users.size}`, 'shard');
  const model = await loadModel(deps, input.algorithm, input.version, dataset);
  const itemIds = dataset.items.ids;
  const lists: UserRecommendations[] = [];
  for (let u = from; u < to; u++) {
    const top = model.recommend(u, input.numResults);
    if (top.items.length === 0) continue;
    const items = new Array(top.items.length);
    for (let j = 0; j < top.items.length; j++)
      items[j] = { itemId: itemIds[top.items[j]], score: Math.round(top.scores[j] * 1e6) / 1e6 };
    lists.push({ userId: dataset.users.ids[u], items });
  }
  await deps.recommendations.putUserLists(input.algorithm, input.version, lists);
  return {
    algorithm: input.algorithm,
    shard: index,
    users: to - from,
    written: lists.length,
    ms: Math.round(performance.now() - t0),
  };
}

export interface PopularityOutput {
  readonly algorithm: typeof POPULARITY;
  readonly lists: number;
  readonly profiles: number;
  readonly surfaces: SurfaceCounts;
  readonly ms: number;
}

/** ComputePopularity: global, segment and category lists plus user profiles under the run's version (no pointer flip). */
export async function computePopularity(
  deps: PipelineDeps,
  input: { run: Pick<RunContext, 'version' | 'snapshot'> },
): Promise<PopularityOutput> {
  const t0 = performance.now();
  const dataset = await loadSnapshot(deps.artifacts, input.run.snapshot, {
    maxBadRowShare: deps.config.PIPELINE_MAX_BAD_ROW_SHARE,
  });
  const configured = deps.config.SEGMENT_COLUMNS;
  const segmentColumns = configured.length > 0 ? configured : dataset.userAttributes.map((c) => c.name);
  const lists = computePopularityLists(dataset, { segmentColumns });
  const profiles = userProfiles(dataset);
  await deps.profiles.putProfiles(profiles);
  await deps.popularityStore.putSegmentLists(input.run.version, lists);
  // the shop surfaces' lists (bought-together, attribute neighbours, rankings) under the same version
  const surfaces = await publishSurfaceLists(deps, dataset, input.run.version, lists);
  const meta: PopularityMeta = { segmentColumns, lists: lists.length, createdAt: Date.now() };
  await deps.state.putRecord(popularityMetaKey(input.run.version), meta);
  return {
    algorithm: POPULARITY,
    lists: lists.length,
    profiles: profiles.length,
    surfaces,
    ms: Math.round(performance.now() - t0),
  };
}

/** One algorithm's offline result as stored per version. */
export interface MetricsRecord {
  readonly algorithm: string;
  readonly version: string;
  readonly protocol: string;
  readonly metrics: RankingMetrics;
  /** 95% half-widths of precision, recall and NDCG over the evaluated users (absent in older records). */
  readonly intervals?: { readonly precision: number; readonly recall: number; readonly ndcg: number };
  readonly trainMs: number;
  readonly evaluatedAt: string;
}

/** Evaluation registry name per published algorithm (served popularity is the segment variant). */
const EVALUATED_AS: Record<string, string> = {
  cf: 'cf',
  fm: 'fm',
  session: 'session',
  popularity: 'popularity:segment',
};

/**
 * Evaluate: offline metrics per algorithm (Personalize protocol: 10% of users held out, their last 10%
 * as targets), stored per version and appended to each algorithm's history.
 */
export async function evaluateRun(
  deps: PipelineDeps,
  input: { run: Pick<RunContext, 'version' | 'snapshot' | 'seed' | 'trainOptions'>; k?: number },
): Promise<{ protocol: string; k: number; metrics: Record<string, RankingMetrics> }> {
  const dataset = await loadSnapshot(deps.artifacts, input.run.snapshot, {
    maxBadRowShare: deps.config.PIPELINE_MAX_BAD_ROW_SHARE,
  });
  const names = PUBLISHED_ALGORITHMS.map((a) => EVALUATED_AS[a]);
  const trainOptions: Record<string, TrainOptions> = {};
  for (const a of PUBLISHED_ALGORITHMS) trainOptions[EVALUATED_AS[a]] = input.run.trainOptions[a] ?? {};
  const result = await evaluateAlgorithms(dataset, {
    algorithms: names,
    protocol: 'personalize',
    k: input.k ?? 10,
    seed: input.run.seed,
    trainOptions,
  });
  const metrics: Record<string, RankingMetrics> = {};
  const evaluatedAt = new Date().toISOString();
  for (const a of PUBLISHED_ALGORITHMS) {
    const r = result.results.find((x) => x.algorithm === EVALUATED_AS[a]);
    if (!r) continue;
    metrics[a] = r.metrics;
    const record: MetricsRecord = {
      algorithm: a,
      version: input.run.version,
      protocol: result.protocol,
      metrics: r.metrics,
      intervals: r.intervals,
      trainMs: Math.round(r.trainMs),
      evaluatedAt,
    };
    await deps.state.putRecord(metricsKey(a, input.run.version), record);
    const history = (await deps.state.getRecord<MetricsRecord[]>(metricsHistoryKey(a))) ?? [];
    await deps.state.putRecord(metricsHistoryKey(a), [...history, record].slice(-HISTORY_LENGTH));
  }
  return { protocol: result.protocol, k: result.k, metrics };
}

/** QualityGate: compares the run's metrics with each active version's (QUALITY_GATE_METRIC, QUALITY_GATE_MARGIN). */
export async function qualityGate(deps: PipelineDeps, input: { version: string }): Promise<GateDecision> {
  const metric = deps.config.QUALITY_GATE_METRIC;
  const inputs: GateInput[] = [];
  for (const algorithm of PUBLISHED_ALGORITHMS) {
    const candidate = await deps.state.getRecord<MetricsRecord>(metricsKey(algorithm, input.version));
    if (!candidate)
      throw new ValidationError(`no metrics recorded for ${algorithm} version ${input.version}`, 'version');
    const pointer = await deps.state.getActiveVersion(algorithm);
    const active =
      pointer && (await deps.state.getRecord<MetricsRecord>(metricsKey(algorithm, pointer.version)));
    inputs.push({
      algorithm,
      candidate: candidate.metrics[metric],
      active: active ? active.metrics[metric] : undefined,
      activeVersion: pointer?.version,
    });
  }
  const decision = decideGate(inputs, metric, deps.config.QUALITY_GATE_MARGIN);
  await deps.state.putRecord(gateKey(input.version), decision);
  return decision;
}

export interface PublishOutput {
  readonly version: string;
  readonly published: { algorithm: string; version: string; previous?: string }[];
}

/**
 * Publish: flips each algorithm's active version pointer to the run's version with a conditional write
 * (a concurrent publisher makes it fail with ConflictError instead of silently overwriting).
 */
export async function publishRun(deps: PipelineDeps, input: { version: string }): Promise<PublishOutput> {
  const published: PublishOutput['published'] = [];
  for (const algorithm of PUBLISHED_ALGORITHMS) {
    const previous = await deps.state.getActiveVersion(algorithm);
    await deps.state.setActiveVersion(algorithm, input.version, previous?.version);
    published.push({ algorithm, version: input.version, previous: previous?.version });
  }
  const run = (await deps.state.getRecord<Record<string, unknown>>(runRecordKey(input.version))) ?? {};
  await deps.state.putRecord(runRecordKey(input.version), {
    ...run,
    status: 'published',
    publishedAt: new Date().toISOString(),
  });
  // the Personalize retraining imports the latest published snapshot
  await deps.state.putRecord(LATEST_RUN_KEY, { ...run, status: 'published' });
  return { version: input.version, published };
}
