/**
 * The nightly scoring pipeline's steps, one function per Task state of statemachines/nightly-scoring.asl.json.
 * Each step is idempotent for its input (a retried task rewrites the same keys), reads the run's dataset
 * snapshot, and never touches an active version pointer except publishRun.
 */
import type { Recommender, TopN } from '../domain/algorithms/recommender.js';
import {
  type AlgorithmEntry,
  getAlgorithm,
  type NightlyEvaluation,
  nightlyEvaluationOf,
  parseTrainOptions,
  publishedEntries,
  publishesSplitModel,
  refitsForPublishing,
  scoredEntries,
} from '../domain/algorithms/registry.js';
import { parseOptions } from '../domain/algorithms/option-schemas.js';
import { trainOnce } from '../domain/algorithms/train-memo.js';
import { gateKey, metricsHistoryKey, metricsKey } from '../domain/pipeline/record-keys.js';
import type { Dataset } from '../domain/data/dataset.js';
import { ValidationError } from '../domain/errors.js';
import { evaluateAlgorithms, type NamedTrainer } from '../domain/evaluation/evaluate.js';
import { containsSorted } from '../domain/evaluation/metrics.js';
import { targetsOf } from '../domain/evaluation/splits.js';
import { EVALUATION_PROTOCOL, evaluationSplitOf, evaluationTargetsOf } from './evaluation-split.js';
import type { RankingMetrics } from '../domain/evaluation/metrics.js';
import { decideGate, type GateDecision, type GateInput } from '../domain/pipeline/quality-gate.js';
import { planShards, type ShardDescriptor } from '../domain/pipeline/shard-plan.js';
import { neighbourListsOf } from '../domain/recommend/session-scoring.js';
import { computePopularityLists } from '../domain/popularity/popularity.js';
import type { UserRecommendations } from '../ports/types.js';
import { POPULARITY, type PopularityMeta, popularityMetaKey } from '../use-cases/popularity-source.js';
import { newVersionId, publishItemCatalog, userProfiles } from '../use-cases/publish-popularity.js';
import { publishSessionNeighbours } from '../use-cases/session-source.js';
import { sessionKnnKey } from '../use-cases/session-index.js';
import { SessionArmModel } from '../domain/algorithms/session-knn/session-arm.js';
import { serializeSessionKnn } from '../domain/algorithms/session-knn/serialize.js';
import type { MergeStats } from '../domain/events/export.js';
import type { CatalogMergeStats } from '../domain/catalog/catalog.js';
import { DATASET_COLUMNS_KEY, type DatasetColumns } from '../use-cases/catalog.js';
import { CHAMPION_KEY, type PublishedChampion } from '../use-cases/champion.js';
import { mergeCatalogWrites } from './catalog-merge.js';
import { mergeExportedEvents } from './event-merge.js';
import type { PipelineDeps } from './pipeline-container.js';
import { loadSnapshot, runKeys, snapshotDataset } from './snapshot.js';
import { memberTunings, type RunTuning, tunedParamsOf } from './tuning.js';
import { planTrainerSearch, storeTrainerSearch } from './trainer-search.js';
import { DEFAULT_CHAMPION } from '../domain/algorithms/champion-model.js';
import { optionsWithMembers } from '../domain/tuning/search-spaces.js';
import { ITEM_LISTS, publishSurfaceLists, type SurfaceCounts } from './surfaces.js';

/** Neighbours stored per item for request-time session scoring (≤ 100 keeps an item ≈ 2.5 KB). */
const SESSION_NEIGHBOURS_PER_ITEM = 50;

/** Algorithms with per-user lists scored in shards (registry entries marked scoredPerUser). */
export const SCORED_ALGORITHMS: readonly string[] = scoredEntries().map((e) => e.name);
/**
 * Every pointer a nightly run publishes (each gets its own active version pointer): the scored entries,
 * then the entries published under another name (the segment popularity as `popularity`).
 */
export const PUBLISHED_ALGORITHMS: readonly string[] = publishedEntries().map((p) => p.pointer);
/** Pointer of the registry entry that trains the Tune stage's champion (the `auto` arm's lists). */
export const CHAMPION_POINTER: string = scoredEntries().find((e) => e.servesChampion)?.name ?? 'champion';

/** Execution input of the nightly scoring state machine (schedule, `osusume pipeline start/run`). */
export interface NightlyInput {
  /** Dataset to snapshot: s3://bucket/prefix or a folder; default DATASET_URI. */
  readonly data?: string;
  readonly trigger?: string;
  /** Run the Tune stage tonight even when it is not due (`pipeline run|start --tune`, the runs route). */
  readonly tune?: boolean;
  readonly options?: {
    /** Trials of a tuning night (default TUNING_MAX_TRIALS). */
    readonly tuneTrials?: number;
    readonly shardUsers?: number;
    readonly numResults?: number;
    /**
     * Extra trainer options per registry name, e.g. { fm: { epochs: 5 } } (also used by Evaluate); checked
     * by Prepare against each entry's strict schema, so a misspelt key fails the run naming it.
     */
    readonly trainOptions?: Readonly<Record<string, unknown>>;
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
  readonly trainOptions: Readonly<Record<string, unknown>>;
  /** A manual tuning request (PlanTuning tunes even when not due). */
  readonly tune: boolean;
  readonly maxTrials?: number;
  /** Tuned params and champion, set by SelectChampion or UseStoredTuning (read by Train, Evaluate, Publish). */
  readonly tuned?: RunTuning;
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
  if (input.tune !== undefined && typeof input.tune !== 'boolean')
    throw new ValidationError('tune must be a boolean', 'tune');
  if (
    o.tuneTrials !== undefined &&
    !(Number.isInteger(o.tuneTrials) && o.tuneTrials >= 1 && o.tuneTrials <= 500)
  )
    throw new ValidationError(`tuneTrials must be in 1..500, got ${o.tuneTrials}`, 'tuneTrials');
  if (!Number.isInteger(numResults) || numResults < 1 || numResults > 500)
    throw new ValidationError(`numResults must be in 1..500, got ${numResults}`, 'numResults');
  // before any copying: a misspelt option must not cost a snapshot
  parseTrainOptions(o.trainOptions);
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
    tune: input.tune === true,
    ...(o.tuneTrials !== undefined ? { maxTrials: o.tuneTrials } : {}),
    shards,
    shardCount: shards.length,
    distributed: shards.length >= cfg.PIPELINE_DISTRIBUTED_MIN_SHARDS,
    startedAt: new Date().toISOString(),
  };
  await deps.state.putRecord(runRecordKey(version), { ...run, shards: undefined, status: 'running' });
  return run;
}

/** Input of the Train<Alg> states (one per scored registry entry). */
export interface TrainInput {
  readonly algorithm: string;
  readonly run: Pick<RunContext, 'version' | 'snapshot' | 'seed' | 'trainOptions' | 'tuned'>;
}

export interface TrainOutput {
  readonly algorithm: string;
  readonly key: string;
  readonly bytes: number;
  readonly trainMs: number;
  /** An entry with its own search: whether tonight searched, and when the params it trained with were chosen. */
  readonly ownSearch?: { readonly searched: boolean; readonly tunedAt?: string };
}

/** The scored entry of `algorithm`; a ValidationError naming the allowed values otherwise. */
function scoredEntry(
  algorithm: string,
): AlgorithmEntry & Required<Pick<AlgorithmEntry, 'serialize' | 'deserialize'>> {
  const entry = SCORED_ALGORITHMS.includes(algorithm) ? getAlgorithm(algorithm) : undefined;
  if (!entry?.serialize || !entry.deserialize)
    throw new ValidationError(
      `unknown scored algorithm "${algorithm}"; allowed: ${SCORED_ALGORITHMS.join(', ')}`,
      'algorithm',
    );
  return entry as AlgorithmEntry & Required<Pick<AlgorithmEntry, 'serialize' | 'deserialize'>>;
}

/**
 * The run's options for `entry`: its tuned params (the Tune stage), then the run's explicit options,
 * which win; parsed by its strict schema (Prepare already checked the explicit ones).
 */
function optionsOf(
  run: Pick<RunContext, 'trainOptions' | 'tuned'>,
  entry: AlgorithmEntry,
  /** A stored choice of the entry's own search: train from it without searching. */
  reuse?: Readonly<Record<string, number>>,
): unknown {
  if (entry.servesChampion) return parseOptions(entry.options, championOptionsOf(run), entry.name);
  const raw = Object.hasOwn(run.trainOptions, entry.name) ? run.trainOptions[entry.name] : undefined;
  const tuned = tunedParamsOf(run.tuned, entry.name);
  const merged = Object.keys(tuned).length > 0 ? { ...tuned, ...(raw as object | undefined) } : raw;
  const options =
    reuse && entry.ownSearch
      ? entry.ownSearch.withoutSearch((merged ?? {}) as Record<string, unknown>, reuse)
      : merged;
  return parseOptions(entry.options, options, `trainOptions.${entry.name}`);
}

/**
 * What the `champion` entry trains tonight: the Tune stage's champion (DEFAULT_CHAMPION before any
 * tuning) with its tuned params and the run's explicit options for it; a blend champion gets its
 * members' tuned params (and the run's explicit member options) as memberOptions.
 */
export function championOptionsOf(run: Pick<RunContext, 'trainOptions' | 'tuned'>): {
  algorithm: string;
  params: Record<string, unknown>;
} {
  const algorithm = run.tuned?.champion?.algorithm ?? DEFAULT_CHAMPION;
  const members = memberTunings(run.tuned?.params ?? [], run.trainOptions);
  const own = members.find((m) => m.algorithm === algorithm)?.params ?? {};
  const params = { ...own, ...(run.tuned?.champion?.params ?? {}) };
  const explicit = Object.hasOwn(run.trainOptions, algorithm) ? (run.trainOptions[algorithm] as object) : {};
  const options = optionsWithMembers(algorithm, { ...params, ...explicit }, members);
  // the champion serves per-user lists only, which an entry's own search does not touch
  const search = getAlgorithm(algorithm).ownSearch;
  return { algorithm, params: search ? search.withoutSearch(options) : options };
}

/**
 * The nightly evaluation split (Amazon Personalize's protocol: 10 % of users, seeded by the run, their
 * latest 10 % of interactions held out). The Train states fit the scored models on its training part and
 * Evaluate scores those very models on its targets, so each model is trained once per night; the price is
 * that the published models miss those targets (≈ 1 % of the interactions), which the shards still
 * exclude from the users' lists. A refitForPublishing entry (session) publishes a refit on everything.
 */
export { EVALUATION_PROTOCOL };

/**
 * Train: fits one scored registry entry on the evaluation split's training part and stores the model
 * (a refitForPublishing entry also stores a refit on the whole snapshot, which is what it publishes).
 */
export async function trainModel(deps: PipelineDeps, input: TrainInput): Promise<TrainOutput> {
  const entry = scoredEntry(input.algorithm);
  // the trainer's own search runs on tuning nights only (shared/pipeline/trainer-search.ts)
  const search = entry.ownSearch ? await planTrainerSearch(deps, entry.name, input.run.tuned) : undefined;
  const options = optionsOf(input.run, entry, search?.search === false ? search.record.params : undefined);
  const dataset = await loadSnapshot(deps.artifacts, input.run.snapshot, {
    maxBadRowShare: deps.config.PIPELINE_MAX_BAD_ROW_SHARE,
  });
  const t0 = performance.now();
  const train =
    nightlyEvaluationOf(entry) === 'stored-model'
      ? evaluationSplitOf(dataset, input.run.seed).train
      : dataset;
  // the blend champion's members reuse this model when their options are equal (trainOnce)
  const evaluated = trainOnce(entry.name, train, options, input.run.seed, () =>
    entry.train(train, options, input.run.seed),
  );
  const refit = refitsForPublishing(entry);
  if (refit)
    await deps.artifacts.put(
      runKeys.evaluatedModel(input.run.version, input.algorithm),
      entry.serialize(evaluated),
    );
  const model = refit ? refitOnSnapshot(entry, evaluated, options, dataset, input.run.seed) : evaluated;
  const bytes = entry.serialize(model);
  if (entry.similarItems) {
    // GET /items/{itemId}/similar reads these per item (shared/pipeline/surfaces.ts)
    await deps.recommendations.putUserLists(
      ITEM_LISTS.cf,
      input.run.version,
      neighbourListsOf(entry.similarItems(model), dataset.items.ids, SESSION_NEIGHBOURS_PER_ITEM),
    );
  }
  if (entry.itemNeighbours) {
    // the request path scores a user's recent events with these lists (shared/use-cases/session-source.ts)
    await publishSessionNeighbours(
      deps.recommendations,
      input.run.version,
      neighbourListsOf(entry.itemNeighbours(model), dataset.items.ids, SESSION_NEIGHBOURS_PER_ITEM),
      entry.name,
    );
  }
  const trainMs = Math.round(performance.now() - t0);
  const key = runKeys.model(input.run.version, input.algorithm);
  await deps.artifacts.put(key, bytes);
  let ownSearch: TrainOutput['ownSearch'];
  if (search?.search === false) ownSearch = { searched: false, tunedAt: search.record.tunedAt };
  else if (search) {
    const stored = await storeTrainerSearch(deps, entry, evaluated, input.run, search.reason);
    ownSearch = { searched: stored !== undefined, ...(stored ? { tunedAt: stored.tunedAt } : {}) };
  }
  // the request function loads only the session kNN part: not the per-user lists it never reads
  if (model instanceof SessionArmModel)
    await deps.artifacts.put(
      sessionKnnKey(input.run.version),
      serializeSessionKnn(model.knn, { includeUsers: false }),
    );
  return {
    algorithm: input.algorithm,
    key,
    bytes: bytes.byteLength,
    trainMs,
    ...(ownSearch ? { ownSearch } : {}),
  };
}

/**
 * The published model of a refitForPublishing entry: trained on the whole snapshot with the options the
 * evaluated model was trained with, its own search's choice as the start (no second search).
 */
function refitOnSnapshot(
  entry: AlgorithmEntry,
  evaluated: Recommender,
  options: unknown,
  dataset: Dataset,
  seed: number,
): Recommender {
  const chosen = entry.ownSearch?.chosen(evaluated)?.params;
  const refitOptions =
    entry.ownSearch && chosen
      ? parseOptions(
          entry.options,
          entry.ownSearch.withoutSearch(options as Record<string, unknown>, chosen),
          `trainOptions.${entry.name}`,
        )
      : options;
  return trainOnce(entry.name, dataset, refitOptions, seed, () => entry.train(dataset, refitOptions, seed));
}

/** Input of one shard iteration (the Map's ItemSelector). */
export interface ShardInput {
  readonly algorithm: string;
  readonly version: string;
  readonly snapshot: string;
  readonly numResults: number;
  /** The run's seed (its evaluation split); default 42. */
  readonly seed?: number;
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

async function loadModel(deps: PipelineDeps, algorithm: string, version: string, dataset: Dataset) {
  const key = runKeys.model(version, algorithm);
  if (modelCache?.key === key) return modelCache.model;
  const bytes = await deps.artifacts.get(key);
  const model = scoredEntry(algorithm).deserialize(bytes, dataset);
  modelCache = { key, model };
  return model;
}

/** ScoreShard: top-N for the shard's users with the stored model, written under the run's version. */
export async function scoreShard(deps: PipelineDeps, input: ShardInput): Promise<ShardOutput> {
  const entry = scoredEntry(input.algorithm);
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
  // a model trained on the evaluation split never saw the held-out items: keep them out of the lists
  const heldOut = publishesSplitModel(entry) ? evaluationTargetsOf(dataset, input.seed ?? 42) : undefined;
  const itemIds = dataset.items.ids;
  const lists: UserRecommendations[] = [];
  for (let u = from; u < to; u++) {
    const unseen = heldOut ? targetsOf(heldOut, u) : undefined;
    const top = withoutItems(
      model.recommend(u, input.numResults + (unseen?.length ?? 0)),
      unseen,
      input.numResults,
    );
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

/** The first `n` entries of `top` whose items are not in `sorted` (ascending). */
function withoutItems(top: TopN, sorted: Int32Array | undefined, n: number): TopN {
  if (!sorted || sorted.length === 0)
    return top.items.length > n
      ? { items: top.items.subarray(0, n), scores: top.scores.subarray(0, n) }
      : top;
  const items = new Int32Array(Math.min(n, top.items.length));
  const scores = new Float32Array(items.length);
  let m = 0;
  for (let j = 0; j < top.items.length && m < items.length; j++) {
    if (containsSorted(sorted, top.items[j])) continue;
    items[m] = top.items[j];
    scores[m++] = top.scores[j];
  }
  return { items: items.subarray(0, m), scores: scores.subarray(0, m) };
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
  const itemCatalogPages = await publishItemCatalog(deps.itemCatalog, input.run.version, dataset);
  const meta: PopularityMeta = {
    segmentColumns,
    lists: lists.length,
    createdAt: Date.now(),
    itemCatalogPages,
  };
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
  /** With `ci95`, the 95% interval of each per-user average: the one place intervals are stored. */
  readonly metrics: RankingMetrics;
  /** Training time of the evaluated model (the Train state's for a stored model). */
  readonly trainMs: number;
  /** Whether Evaluate scored the model the Train state stored or trained one of its own. */
  readonly evaluation?: NightlyEvaluation;
  readonly evaluatedAt: string;
}

/**
 * Evaluate: offline metrics per algorithm on the evaluation split (Personalize protocol: 10% of users held
 * out, their last 10% as targets), stored per version and appended to each algorithm's history. Scored
 * entries are not retrained: the models the Train states fitted on the split's training part are loaded.
 */
export async function evaluateRun(
  deps: PipelineDeps,
  input: {
    run: Pick<RunContext, 'version' | 'snapshot' | 'seed' | 'trainOptions' | 'tuned'>;
    /** The Train states' outputs by algorithm ($.models), for their training times. */
    models?: Readonly<Record<string, Partial<TrainOutput>>>;
    k?: number;
  },
): Promise<{ protocol: string; k: number; metrics: Record<string, RankingMetrics> }> {
  const dataset = await loadSnapshot(deps.artifacts, input.run.snapshot, {
    maxBadRowShare: deps.config.PIPELINE_MAX_BAD_ROW_SHARE,
  });
  const published = publishedEntries();
  const split = evaluationSplitOf(dataset, input.run.seed);
  const algorithms: (string | NamedTrainer)[] = [];
  for (const { entry } of published) {
    if (nightlyEvaluationOf(entry) !== 'stored-model' || !entry.deserialize) {
      algorithms.push(entry.name);
      continue;
    }
    const { deserialize } = entry;
    const key = refitsForPublishing(entry) ? runKeys.evaluatedModel : runKeys.model;
    const bytes = await deps.artifacts.get(key(input.run.version, entry.name));
    algorithms.push({ name: entry.name, train: (train) => deserialize(bytes, train) });
  }
  const result = await evaluateAlgorithms(dataset, {
    algorithms,
    split,
    k: input.k ?? 10,
    seed: input.run.seed,
    trainOptions: new Map(published.map(({ entry }) => [entry.name, optionsOf(input.run, entry)])),
  });
  const metrics: Record<string, RankingMetrics> = {};
  const evaluatedAt = new Date().toISOString();
  for (const { pointer: a, entry } of published) {
    const r = result.results.find((x) => x.algorithm === entry.name);
    if (!r) continue;
    metrics[a] = r.metrics;
    const evaluation = nightlyEvaluationOf(entry);
    const stored = evaluation === 'stored-model' ? input.models?.[entry.name]?.trainMs : undefined;
    const record: MetricsRecord = {
      algorithm: a,
      version: input.run.version,
      protocol: result.protocol,
      metrics: r.metrics,
      trainMs: Math.round(typeof stored === 'number' ? stored : r.trainMs),
      evaluation,
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
  /** The champion the `auto` arm serves from now on (absent when the night had none). */
  readonly champion?: PublishedChampion;
}

/**
 * Publish: flips each algorithm's active version pointer to the run's version with a conditional write
 * (a concurrent publisher makes it fail with ConflictError instead of silently overwriting).
 */
export async function publishRun(
  deps: PipelineDeps,
  input: { version: string; tuned?: RunTuning },
): Promise<PublishOutput> {
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
  const c = input.tuned?.champion;
  let champion: PublishedChampion | undefined;
  // the `champion` pointer (just flipped) holds the lists of this very algorithm: TrainChampion trained it
  if (c && (PUBLISHED_ALGORITHMS as readonly string[]).includes(CHAMPION_POINTER)) {
    champion = {
      algorithm: c.algorithm,
      pointer: CHAMPION_POINTER,
      version: input.version,
      metric: deps.config.TUNING_METRIC,
      score: c.score,
      params: c.params,
      ...(input.tuned?.tunedAt ? { tunedAt: input.tuned.tunedAt } : {}),
      publishedAt: new Date().toISOString(),
    };
    // the `auto` arm serves this algorithm's lists of the versions just published
    await deps.state.putRecord(CHAMPION_KEY, champion);
  }
  return { version: input.version, published, ...(champion ? { champion } : {}) };
}
