/**
 * The algorithm registry: one entry describes an algorithm completely (trainer, strict options schema,
 * model storage, nightly scoring, request-time candidate source, evaluation). The nightly pipeline, the
 * evaluation, batch inference, the CLI and (through the generated served-algorithms.ts) the composition
 * module iterate it; the nightly state machine's per-algorithm branches are generated from it
 * (`npm run generate:asl`). Adding an algorithm = its module under shared/domain/algorithms/ + one entry
 * here + `npm run generate:asl`.
 */
import * as z from 'zod/mini';
import type { Dataset } from '../data/dataset.js';
import {
  type BlendMemberEntry,
  type BlendModel,
  blendOptionsSchema,
  deserializeBlend,
  serializeBlend,
  trainBlend,
} from './blend.js';
import { ValidationError } from '../errors.js';
import { trainPopularity, trainSegmentPopularity } from '../popularity/popularity.js';
import { EASE_SEARCH_SPACE, easeOptionsSchema, trainEase } from './ease.js';
import { deserializeFm, serializeFm, trainFm } from './fm.js';
import {
  deserializeIals,
  IALS_SEARCH_SPACE,
  type IalsModel,
  ialsOptionsSchema,
  serializeIals,
  trainIals,
} from './ials.js';
import {
  deserializeItemCf,
  type ItemCfModel,
  type NeighbourLists,
  serializeItemCf,
  trainItemCf,
} from './item-cf.js';
import {
  fmOptionsSchema,
  itemCfOptionsSchema,
  parseOptions,
  popularityOptionsSchema,
  sessionOptionsSchema,
} from './option-schemas.js';
import {
  deserializeLinearItemModel,
  type LinearItemModel,
  serializeLinearItemModel,
} from './linear-item-model.js';
import {
  type ChampionInner,
  type ChampionModel,
  championOptionsSchema,
  deserializeChampion,
  serializeChampion,
  trainChampion,
} from './champion-model.js';
import type { Recommender } from './recommender.js';
import { trainOnce } from './train-memo.js';
import type { RequestSource } from './request-source.js';
import { RP3BETA_SEARCH_SPACE, rp3betaOptionsSchema, trainRp3beta } from './rp3beta.js';
import { SLIM_SEARCH_SPACE, slimOptionsSchema, trainSlim } from './slim.js';
import { SESSION_KNN_OPTIONS, splitSessionKnnOptions } from './session-knn/options.js';
import { serializeSessionKnn, deserializeSessionKnn } from './session-knn/serialize.js';
import {
  deserializeSessionArm,
  type SessionArmModel,
  serializeSessionArm,
  trainSessionArm,
} from './session-knn/session-arm.js';
import type { SessionKnnModel } from './session-knn/session-knn.js';
import { SESSION_KNN_GRID, trainSessionKnn } from './session-knn/train.js';

/** A hyperparameter's search range (the nightly tuner samples option keys within these). */
export type ParamRange =
  | { readonly kind: 'float'; readonly min: number; readonly max: number; readonly log?: boolean }
  | { readonly kind: 'int'; readonly min: number; readonly max: number; readonly log?: boolean }
  | { readonly kind: 'choice'; readonly values: readonly (string | number | boolean)[] };

export type { RequestSource } from './request-source.js';

/**
 * A parameter search the trainer runs itself, for a part of the model its per-user lists do not use
 * (the session arm's kNN, which scores live sessions at request time): tuning it is part of the due
 * rule, so the nightly searches only on a tuning night and stores the choice
 * (shared/pipeline/trainer-search.ts); other nights, the Tune trials (which score the per-user lists)
 * and the champion train without searching.
 */
export interface OwnSearch<M extends Recommender = Recommender> {
  /** Raw options that train without the search, starting from `chosen` (a stored choice) when given. */
  readonly withoutSearch: (
    options: Readonly<Record<string, unknown>>,
    chosen?: Readonly<Record<string, number>>,
  ) => Record<string, unknown>;
  /** What the trained model's search chose; undefined when it did not search. */
  readonly chosen: (
    model: M,
  ) => { readonly params: Readonly<Record<string, number>>; readonly report: unknown } | undefined;
}

/**
 * How the nightly Evaluate measures an entry: 'stored-model' scores the model the Train state stored
 * (trained once on the evaluation split's training part); 'train-on-split' trains a model of its own on
 * that split (for cheap models whose published artefact is not a model, e.g. popularity lists).
 */
export type NightlyEvaluation = 'stored-model' | 'train-on-split';

export interface AlgorithmEntry<O = unknown, M extends Recommender = Recommender> {
  /** What users type: --algorithm NAME, an arm's algorithm, the nightly ASL branch. */
  readonly name: string;
  readonly description: string;
  /** Strict schema: an unknown or mistyped key is a ValidationError naming it (see parseTrainOptions). */
  readonly options: z.core.$ZodType<O>;
  /** Trains on `dataset` (evaluation passes the training split); `seed` drives stochastic trainers. */
  readonly train: (dataset: Dataset, options: O, seed: number) => M;
  /** The nightly stores the model once (Train) and every shard and Evaluate load it. */
  readonly serialize?: (model: M) => Uint8Array;
  /** Rebuilds a stored model for the dataset it was trained on (same user and item indices). */
  readonly deserialize?: (bytes: Uint8Array, dataset: Dataset) => M;
  /** The nightly scores per-user lists in user shards (a generated ASL branch) and publishes them. */
  readonly scoredPerUser: boolean;
  /** Request-time candidate source of a scoredPerUser entry (default 'precomputed'). */
  readonly requestSource?: RequestSource;
  /** Item neighbour lists the nightly publishes for request-time scoring ('recent-events' entries). */
  readonly itemNeighbours?: (model: M) => NeighbourLists;
  /** Item neighbour lists the nightly publishes for `GET /items/{itemId}/similar` (the CF neighbours). */
  readonly similarItems?: (model: M) => NeighbourLists;
  /**
   * Pointer (and metrics) name the nightly publishes the entry under when it is not scoredPerUser (the
   * segment popularity backs the `popularity` pointer, which ComputePopularity's lists serve).
   */
  readonly publishedAs?: string;
  /** How the nightly evaluates it (default: 'stored-model' when it is scoredPerUser and serialisable). */
  readonly nightlyEvaluation?: NightlyEvaluation;
  /**
   * A 'stored-model' entry whose published model is refit on the whole snapshot: Evaluate scores the
   * model trained on the evaluation split's training part, the shards and the request path read one
   * trained on everything with the same options (its own search's choice included). For entries that
   * train fast next to their search and live on the latest events, which the split holds out (session).
   */
  readonly refitForPublishing?: boolean;
  /** Option keys the tuner searches (issue 14 item 3). */
  readonly searchSpace?: Readonly<Record<string, ParamRange>>;
  /**
   * Competes for champion (`auto`, the nightly SelectChampion); default: the scoredPerUser entries. A
   * champion must be storable: the nightly trains it under the `champion` pointer the `auto` arm serves.
   */
  readonly championCandidate?: boolean;
  /**
   * Combines other entries (the blend): it is tuned after them and trained with their tuned params as
   * `memberOptions` (see searchChampion and the nightly's TuneComposites).
   */
  readonly tunedMembers?: boolean;
  /** Trains whatever the Tune stage chose (the `champion` pointer the `auto` arm serves). */
  readonly servesChampion?: boolean;
  /** The trainer's own parameter search, run only when tuning is due (see OwnSearch). */
  readonly ownSearch?: OwnSearch<M>;
}

/** Builds an entry with its option type checked against its trainer (the map below erases it). */
export function defineAlgorithm<O, M extends Recommender>(entry: AlgorithmEntry<O, M>): AlgorithmEntry {
  return entry as unknown as AlgorithmEntry;
}

/** Names users type and state names derive from: lower-case letters, digits, `:`, `-`, `_`. */
const NAME_PATTERN = /^[a-z][a-z0-9:_-]{0,39}$/;

const ENTRIES: readonly AlgorithmEntry[] = [
  defineAlgorithm({
    name: 'cf',
    description: 'item-based collaborative filtering (ItemKNN, cosine with shrinkage, top-K neighbours)',
    options: itemCfOptionsSchema,
    train: (dataset, options) => trainItemCf(dataset, options),
    serialize: (model: ItemCfModel) => serializeItemCf(model),
    deserialize: (bytes, dataset) => deserializeItemCf(bytes, dataset.items),
    scoredPerUser: true,
    similarItems: (model: ItemCfModel) => model.lists,
  }),
  defineAlgorithm({
    name: 'fm',
    description:
      'factorization machine (WARP-batch/WARP/BPR, user/item attributes and history as features, early stopping, 2-member ensemble)',
    options: fmOptionsSchema,
    train: (dataset, options, seed) => trainFm(dataset, { ...options, seed }),
    serialize: serializeFm,
    deserialize: (bytes) => deserializeFm(bytes),
    scoredPerUser: true,
  }),
  defineAlgorithm({
    name: 'ease',
    description: 'EASE closed-form item-item linear model (dense solve over at most maxItems items)',
    options: easeOptionsSchema,
    train: (dataset, options) => trainEase(dataset, options),
    serialize: (model: LinearItemModel) => serializeLinearItemModel(model),
    deserialize: (bytes, dataset) => deserializeLinearItemModel('ease', bytes, dataset.items),
    // not scored nightly under its own name: as champion it is scored under the `champion` pointer
    scoredPerUser: false,
    championCandidate: true,
    searchSpace: EASE_SEARCH_SPACE,
  }),
  defineAlgorithm({
    name: 'ials',
    description: 'implicit ALS matrix factorisation with a conjugate-gradient solver (scales to 100k+ items)',
    options: ialsOptionsSchema,
    train: (dataset, options, seed) => trainIals(dataset, options, seed),
    serialize: (model: IalsModel) => serializeIals(model),
    deserialize: (bytes, dataset) => deserializeIals(bytes, dataset.items),
    // not scored nightly under its own name: as champion it is scored under the `champion` pointer
    scoredPerUser: false,
    championCandidate: true,
    searchSpace: IALS_SEARCH_SPACE,
  }),
  defineAlgorithm({
    name: 'rp3beta',
    description: 'RP3beta graph random walk item → user → item with popularity damping (sparse, top-K)',
    options: rp3betaOptionsSchema,
    train: (dataset, options) => trainRp3beta(dataset, options),
    serialize: (model: LinearItemModel) => serializeLinearItemModel(model),
    deserialize: (bytes, dataset) => deserializeLinearItemModel('rp3beta', bytes, dataset.items),
    // not scored nightly under its own name: as champion it is scored under the `champion` pointer
    scoredPerUser: false,
    championCandidate: true,
    searchSpace: RP3BETA_SEARCH_SPACE,
  }),
  defineAlgorithm({
    name: 'slim',
    description:
      'SLIM-style sparse linear model: non-negative ElasticNet per item over its top-K co-occurring items',
    options: slimOptionsSchema,
    train: (dataset, options) => trainSlim(dataset, options),
    serialize: (model: LinearItemModel) => serializeLinearItemModel(model),
    deserialize: (bytes, dataset) => deserializeLinearItemModel('slim', bytes, dataset.items),
    // not scored nightly under its own name: as champion it is scored under the `champion` pointer
    scoredPerUser: false,
    championCandidate: true,
    searchSpace: SLIM_SEARCH_SPACE,
  }),
  defineAlgorithm({
    name: 'blend',
    description:
      'rank or score fusion of cf, fm, ease, ials, slim (rp3beta): members, weights and fusion chosen on two validation folds carved from the training data',
    options: blendOptionsSchema,
    train: (dataset, options, seed) => trainBlend(dataset, options, seed, memberEntry),
    serialize: (model: BlendModel) => serializeBlend(model, memberEntry),
    deserialize: (bytes, dataset) => deserializeBlend(bytes, dataset, memberEntry),
    scoredPerUser: false,
    championCandidate: true,
    tunedMembers: true,
  }),
  defineAlgorithm({
    name: 'champion',
    description:
      "the nightly's champion (the algorithm validation chose, with its tuned params): what the auto arm serves",
    options: championOptionsSchema,
    train: (dataset, options, seed) => trainChampion(dataset, options, seed, memberEntry),
    serialize: (model: ChampionModel) => serializeChampion(model, memberEntry),
    deserialize: (bytes, dataset) => deserializeChampion(bytes, dataset, memberEntry),
    scoredPerUser: true,
    championCandidate: false,
    servesChampion: true,
  }),
  defineAlgorithm({
    name: 'popularity',
    description: 'global popularity (event-weighted, time-decayed); the cold-user fallback',
    options: popularityOptionsSchema,
    train: (dataset, options) => trainPopularity(dataset, options),
    scoredPerUser: false,
  }),
  defineAlgorithm({
    name: 'popularity:segment',
    description: 'popularity per user segment (user attributes), backing off to global',
    options: popularityOptionsSchema,
    train: (dataset, options) => trainSegmentPopularity(dataset, options),
    scoredPerUser: false,
    publishedAs: 'popularity',
    nightlyEvaluation: 'train-on-split',
  }),
  defineAlgorithm({
    name: 'session',
    description:
      'session-aware: session kNN with a learned repeat model scores the session; per-user lists from recent events × transition + co-occurrence neighbours',
    options: z.extend(sessionOptionsSchema, { knn: z.optional(SESSION_KNN_OPTIONS) }),
    train: (dataset, options) => trainSessionArm(dataset, options),
    serialize: (model: SessionArmModel) => serializeSessionArm(model),
    deserialize: (bytes, dataset) => deserializeSessionArm(bytes, dataset),
    scoredPerUser: true,
    requestSource: 'recent-events',
    itemNeighbours: (model: SessionArmModel) => model.lists,
    // the split holds out sessions' latest clicks, the very ones a session model serves best from
    refitForPublishing: true,
    ownSearch: {
      // tuneBudget 0 even over an explicit one: whether to search is the due rule's call. Without a
      // stored choice (a Tune trial, the champion) the kNN part is not served, so no serving bound either
      withoutSearch: (options, chosen) => {
        const knn = (options.knn ?? {}) as Record<string, unknown>;
        if (!chosen) return { ...options, knn: { ...knn, tuneBudget: 0, servingWorkBudget: 0 } };
        const start = { ...chosen, ...(knn.start as object | undefined) };
        return { ...options, knn: { ...knn, start, tuneBudget: 0 } };
      },
      chosen: (model: SessionArmModel) =>
        model.knnTuning ? { params: { ...model.knnTuning.params }, report: model.knnTuning } : undefined,
    },
  }),
  defineAlgorithm({
    name: 'session-knn',
    description:
      'session kNN (V-STAN family) blended with sequential rules and a learned repeat model, tuned on a validation split of the latest training sessions',
    options: SESSION_KNN_OPTIONS,
    train: (dataset, options) => {
      const { params, settings } = splitSessionKnnOptions(options);
      return trainSessionKnn(dataset, params, settings).model;
    },
    serialize: (model: SessionKnnModel) => serializeSessionKnn(model),
    deserialize: (bytes) => deserializeSessionKnn(bytes),
    scoredPerUser: false,
    // the trainer searches these itself on its validation split (coordinate search over the grid)
    searchSpace: Object.fromEntries(
      Object.entries(SESSION_KNN_GRID).map(([key, values]) => [key, { kind: 'choice', values }]),
    ),
  }),
];

/**
 * A blend member's (or the champion's) entry, looked up when it trains (the entries are defined above);
 * its training is shared with an equal one in the same process (trainOnce).
 */
function memberEntry(name: string): BlendMemberEntry & ChampionInner {
  const entry = getAlgorithm(name);
  return {
    ...entry,
    train: (dataset, options, seed) =>
      trainOnce(name, dataset, options, seed, () => entry.train(dataset, options, seed)),
  } as BlendMemberEntry & ChampionInner;
}

/** Every registered algorithm by the name users type (`--algorithm cf`), in registry order. */
export const ALGORITHMS: ReadonlyMap<string, AlgorithmEntry> = registryOf(ENTRIES);

/** Builds a name → entry map, rejecting duplicate names (tests build registries with extra entries). */
export function registryOf(entries: readonly AlgorithmEntry[]): ReadonlyMap<string, AlgorithmEntry> {
  const map = new Map<string, AlgorithmEntry>();
  for (const e of entries) {
    if (!NAME_PATTERN.test(e.name))
      throw new ValidationError(`algorithm name "${e.name}" must match ${NAME_PATTERN}`, 'algorithm');
    if (map.has(e.name)) throw new ValidationError(`algorithm "${e.name}" is registered twice`, 'algorithm');
    if (e.scoredPerUser && (!e.serialize || !e.deserialize))
      throw new ValidationError(`algorithm "${e.name}" is scored per user but cannot be stored`, 'algorithm');
    map.set(e.name, e);
  }
  return map;
}

/** Names of the registered algorithms, in registry order. */
export function algorithmNames(registry: ReadonlyMap<string, AlgorithmEntry> = ALGORITHMS): string[] {
  return [...registry.keys()];
}

/** The entry of `name`; throws a ValidationError naming the allowed values when unknown. */
export function getAlgorithm(
  name: string,
  registry: ReadonlyMap<string, AlgorithmEntry> = ALGORITHMS,
): AlgorithmEntry {
  const entry = registry.get(name);
  if (entry === undefined) {
    throw new ValidationError(
      `unknown algorithm "${name}"; allowed: ${algorithmNames(registry).join(', ')}`,
      'algorithm',
    );
  }
  return entry;
}

/** Entries the nightly scores per user in shards, in registry order. */
export function scoredEntries(registry: ReadonlyMap<string, AlgorithmEntry> = ALGORITHMS): AlgorithmEntry[] {
  return [...registry.values()].filter((e) => e.scoredPerUser);
}

/**
 * Every entry a nightly run publishes, with the pointer name it publishes under: the scored entries
 * under their own names, then those with `publishedAs`.
 */
export function publishedEntries(
  registry: ReadonlyMap<string, AlgorithmEntry> = ALGORITHMS,
): { readonly pointer: string; readonly entry: AlgorithmEntry }[] {
  const all = [...registry.values()];
  return [
    ...all.filter((e) => e.scoredPerUser).map((entry) => ({ pointer: entry.name, entry })),
    ...all.flatMap((entry) =>
      !entry.scoredPerUser && entry.publishedAs ? [{ pointer: entry.publishedAs, entry }] : [],
    ),
  ];
}

/** Whether `entry` competes for champion (see AlgorithmEntry.championCandidate). */
export function isChampionCandidate(entry: AlgorithmEntry): boolean {
  return (entry.championCandidate ?? entry.scoredPerUser) && entry.serialize !== undefined;
}

/** Names of the entries that compete for champion, in registry order. */
export function championCandidates(registry: ReadonlyMap<string, AlgorithmEntry> = ALGORITHMS): string[] {
  return [...registry.values()].filter(isChampionCandidate).map((e) => e.name);
}

/** How the nightly Evaluate measures `entry` (see NightlyEvaluation). */
export function nightlyEvaluationOf(entry: AlgorithmEntry): NightlyEvaluation {
  return entry.nightlyEvaluation ?? (entry.scoredPerUser ? 'stored-model' : 'train-on-split');
}

/** Whether the nightly publishes a refit of the model it evaluated (see AlgorithmEntry.refitForPublishing). */
export function refitsForPublishing(entry: AlgorithmEntry): boolean {
  return nightlyEvaluationOf(entry) === 'stored-model' && entry.refitForPublishing === true;
}

/**
 * Whether the nightly publishes the very model it evaluated, trained without the evaluation split's
 * held-out targets (so the shards keep those out of the users' lists).
 */
export function publishesSplitModel(entry: AlgorithmEntry): boolean {
  return nightlyEvaluationOf(entry) === 'stored-model' && !refitsForPublishing(entry);
}

/**
 * Validates per-algorithm trainer options (the nightly input's `trainOptions`, `{fm: {epochs: 5}}`):
 * every key must be a registered algorithm and every value must pass its strict schema. Errors name the
 * path, e.g. `trainOptions.fm.epoch`. Returns the parsed options by algorithm name.
 */
export function parseTrainOptions(
  value: unknown,
  registry: ReadonlyMap<string, AlgorithmEntry> = ALGORITHMS,
  prefix = 'trainOptions',
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (value === undefined) return out;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ValidationError(`${prefix} must be an object of algorithm name → options`, prefix);
  for (const [name, options] of Object.entries(value)) {
    const entry = registry.get(name);
    if (entry === undefined)
      throw new ValidationError(
        `${prefix}.${name}: unknown algorithm; allowed: ${algorithmNames(registry).join(', ')}`,
        `${prefix}.${name}`,
      );
    out.set(name, parseOptions(entry.options, options, `${prefix}.${name}`));
  }
  return out;
}

/** Trains `entry` with raw options (validated first: a bad key throws before any training). */
export function trainEntry(
  entry: AlgorithmEntry,
  dataset: Dataset,
  options: unknown,
  seed: number,
): Recommender {
  return entry.train(dataset, parseOptions(entry.options, options, entry.name), seed);
}
