import * as z from 'zod/mini';
import type { Dataset } from '../data/dataset.js';
import { DataError, ValidationError } from '../errors.js';
import { containsSorted } from '../evaluation/metrics.js';
import { type Split, type SplitProtocol, targetsOf } from '../evaluation/splits.js';
import { carveValidation } from '../tuning/validation.js';
import { resolveOptions } from './model-options.js';
import { parseOptions } from './option-schemas.js';
import type { RecommendOptions, Recommender, TopN } from './recommender.js';
import { topK } from './top-k.js';

/** Registry algorithms a blend may combine (per-user scorers that can be stored). */
export const BLEND_MEMBERS = ['cf', 'fm', 'ease', 'ials', 'rp3beta', 'slim'] as const;
export type BlendMember = (typeof BLEND_MEMBERS)[number];

/**
 * Members searched when none are named: the neighbour models, EASE and the factor models. rp3beta is left
 * out by default (the weakest on every dataset measured, bench/results/models.md); name it to add it.
 */
export const DEFAULT_BLEND_MEMBERS: readonly BlendMember[] = ['cf', 'fm', 'ease', 'ials', 'slim'];

/**
 * How member lists are put on one scale: `rank` = w / (rankOffset + rank); `score` = w × min-max
 * normalised score; `std` = w × (score − the list's lowest) / the list's standard deviation (a member
 * whose top scores stand out from the rest of its list counts for more than under min-max, where one
 * outlier would squash the others).
 */
export const FUSIONS = ['rank', 'score', 'std'] as const;
export type Fusion = (typeof FUSIONS)[number];

const weight = z.optional(z.number().check(z.minimum(0), z.maximum(1000)));

/**
 * Blend of trained registry models: each member proposes its top `candidates` items, and the union is
 * ranked by one of the FUSIONS. A weight key per member (`{ials: 1, slim: 0.5}`) fixes the blend; without
 * one, the trainer chooses members, weights and fusion on a validation split it carves from the data it
 * is given (never a caller's hold-out). `memberOptions` are the members' trainer options (the nightly
 * and `auto` pass each member's tuned params).
 */
export const blendOptionsSchema = z.strictObject({
  fusion: z.optional(z.enum(FUSIONS)),
  /** Items each member proposes per user. */
  candidates: z.optional(z.int().check(z.minimum(1), z.maximum(5000))),
  /** Offset k of reciprocal rank fusion, 1 / (k + rank). */
  rankOffset: z.optional(z.number().check(z.minimum(0))),
  /** Members the weight search may use (default DEFAULT_BLEND_MEMBERS); ignored when weights are given. */
  members: z.optional(z.array(z.enum(BLEND_MEMBERS)).check(z.minLength(1))),
  cf: weight,
  fm: weight,
  ease: weight,
  ials: weight,
  rp3beta: weight,
  slim: weight,
  /** Trainer options per member, each checked by that member's strict schema. */
  memberOptions: z.optional(
    z.strictObject(Object.fromEntries(BLEND_MEMBERS.map((m) => [m, z.optional(z.unknown())]))),
  ),
  /** Per-user protocol of the weight search's validation split (the caller's evaluation protocol). */
  protocol: z.optional(z.enum(['random', 'temporal', 'personalize'])),
  /** Validation users the weight search scores at most per fold (a seeded sample). */
  validationUsers: z.optional(z.int().check(z.minimum(20), z.maximum(100_000))),
  /**
   * Validation splits the weight search pools (each carved with its own seed, members trained on each):
   * a second fold halves the variance of the choice at the cost of one more training per member.
   */
  folds: z.optional(z.int().check(z.minimum(1), z.maximum(5))),
});

export type BlendRawOptions = z.infer<typeof blendOptionsSchema>;

export interface BlendOptions {
  readonly fusion: Fusion;
  readonly candidates: number;
  readonly rankOffset: number;
}

export const DEFAULT_BLEND_OPTIONS: BlendOptions = { fusion: 'rank', candidates: 100, rankOffset: 20 };

/** Validation folds of the weight search when `folds` is not given. */
export const DEFAULT_BLEND_FOLDS = 2;

/** Blend options from raw input (strict; defaults for the keys left out). */
export function blendOptions(raw: unknown = {}): BlendOptions & BlendRawOptions {
  return resolveOptions('blend', blendOptionsSchema, raw, DEFAULT_BLEND_OPTIONS);
}

/** Reusable per-item accumulators of one fusion (a stamp marks the items touched for the current user). */
class FusionScratch {
  readonly acc: Float64Array;
  readonly mark: Int32Array;
  readonly touched: Int32Array;
  stamp = 0;
  constructor(nItems: number) {
    this.acc = new Float64Array(nItems);
    this.mark = new Int32Array(nItems);
    this.touched = new Int32Array(nItems);
  }
}

/** Standard deviation of the first `len` scores (the `std` fusion's scale). */
function spreadOf(scores: Float32Array, len: number): number {
  let sum = 0;
  for (let r = 0; r < len; r++) sum += scores[r];
  const mean = sum / len;
  let sq = 0;
  for (let r = 0; r < len; r++) sq += (scores[r] - mean) * (scores[r] - mean);
  return Math.sqrt(sq / len);
}

/** Fuses one user's member lists into the top `n` (see blendOptionsSchema for the two fusions). */
function fuse(
  lists: readonly (TopN | undefined)[],
  weights: readonly number[],
  options: BlendOptions,
  n: number,
  s: FusionScratch,
): TopN {
  const stamp = ++s.stamp;
  const { acc, mark, touched } = s;
  let nt = 0;
  for (let m = 0; m < lists.length; m++) {
    const w = weights[m];
    const list = lists[m];
    if (!(w > 0) || !list) continue;
    const len = Math.min(list.items.length, options.candidates);
    if (len === 0) continue;
    const lo = list.scores[len - 1];
    const span = options.fusion === 'std' ? spreadOf(list.scores, len) : list.scores[0] - lo;
    for (let r = 0; r < len; r++) {
      const j = list.items[r];
      const v =
        options.fusion === 'rank'
          ? w / (options.rankOffset + r + 1)
          : w * (span > 0 ? (list.scores[r] - lo) / span : 1);
      if (mark[j] !== stamp) {
        mark[j] = stamp;
        acc[j] = 0;
        touched[nt++] = j;
      }
      acc[j] += v;
    }
  }
  if (nt === 0) return { items: new Int32Array(0), scores: new Float32Array(0) };
  const cand = new Float64Array(nt);
  for (let t = 0; t < nt; t++) cand[t] = acc[touched[t]];
  const top = topK(cand, n);
  const items = new Int32Array(top.items.length);
  for (let r = 0; r < items.length; r++) items[r] = touched[top.items[r]];
  return { items, scores: top.scores };
}

export class BlendModel implements Recommender {
  readonly name: string;
  private readonly scratch: FusionScratch;

  constructor(
    readonly members: readonly Recommender[],
    readonly weights: readonly number[],
    nItems: number,
    readonly options: BlendOptions = DEFAULT_BLEND_OPTIONS,
    name = 'blend',
    /** Registry names of the members (what serialisation stores); absent for ad-hoc blends. */
    readonly memberNames?: readonly string[],
  ) {
    this.name = name;
    this.scratch = new FusionScratch(nItems);
  }

  /** The blend's params as the tuner records them: fusion and one weight per member. */
  chosenParams(): Record<string, string | number> {
    const out: Record<string, string | number> = { fusion: this.options.fusion };
    this.memberNames?.forEach((m, i) => {
      out[m] = this.weights[i];
    });
    return out;
  }

  recommend(user: number, n: number, options?: RecommendOptions): TopN {
    const c = Math.max(n, this.options.candidates);
    const lists = this.members.map((m, i) =>
      this.weights[i] > 0 ? m.recommend(user, c, options) : undefined,
    );
    return fuse(lists, this.weights, { ...this.options, candidates: c }, n, this.scratch);
  }
}

/** Validation P@k of fused lists; `lists[m][t]` is member m's list for validation user t. */
function fusedPrecision(
  lists: readonly TopN[][],
  targets: readonly Int32Array[],
  weights: readonly number[],
  options: BlendOptions,
  k: number,
  s: FusionScratch,
): number {
  let hits = 0;
  const userLists: TopN[] = new Array(lists.length);
  for (let t = 0; t < targets.length; t++) {
    for (let m = 0; m < lists.length; m++) userLists[m] = lists[m][t];
    const top = fuse(userLists, weights, options, k, s);
    for (let r = 0; r < top.items.length; r++) if (containsSorted(targets[t], top.items[r])) hits++;
  }
  return targets.length > 0 ? hits / (k * targets.length) : 0;
}

/** Weight values the coordinate search tries per member (the best single member is anchored at 1). */
const WEIGHT_GRID = [0, 0.25, 0.5, 0.75, 1, 1.5, 2];

export interface BlendChoice {
  readonly weights: number[];
  readonly fusion: Fusion;
  readonly score: number;
}

/**
 * Chooses weights and fusion on validation lists: per fusion, start from the best single member and
 * change one member's weight at a time (two passes over WEIGHT_GRID), keeping a change only when it
 * raises validation P@k. Coordinate search keeps the number of fusions scored small (≈ 170 for five
 * members) where a full grid would be 7⁵ per fusion.
 */
export function searchBlendWeights(
  lists: readonly TopN[][],
  targets: readonly Int32Array[],
  nItems: number,
  options: BlendOptions,
  k = 10,
): BlendChoice {
  const s = new FusionScratch(nItems);
  const nm = lists.length;
  let best: BlendChoice | undefined;
  for (const fusion of FUSIONS) {
    const o = { ...options, fusion };
    let w = new Array<number>(nm).fill(0);
    let anchor = 0;
    let score = -1;
    for (let m = 0; m < nm; m++) {
      const one = w.map((_, i) => (i === m ? 1 : 0));
      const p = fusedPrecision(lists, targets, one, o, k, s);
      if (p > score) [score, anchor] = [p, m];
    }
    w[anchor] = 1;
    for (let pass = 0; pass < 2; pass++) {
      let changed = false;
      for (let m = 0; m < nm; m++) {
        if (m === anchor) continue;
        for (const g of WEIGHT_GRID) {
          if (g === w[m]) continue;
          const trial = w.map((x, i) => (i === m ? g : x));
          const p = fusedPrecision(lists, targets, trial, o, k, s);
          if (p > score + 1e-9) {
            [score, w, changed] = [p, trial, true];
          }
        }
      }
      if (!changed) break;
    }
    if (!best || score > best.score) best = { weights: w, fusion, score };
  }
  return best as BlendChoice;
}

/** What the blend trainer needs of the registry (passed in: the registry imports this module). */
export interface BlendMemberEntry {
  readonly options: z.core.$ZodType<unknown>;
  readonly train: (dataset: Dataset, options: unknown, seed: number) => Recommender;
  readonly serialize?: (model: Recommender) => Uint8Array;
  readonly deserialize?: (bytes: Uint8Array, dataset: Dataset) => Recommender;
}
export type BlendMemberResolver = (name: string) => BlendMemberEntry;

/** The members with fixed weights given as option keys, or undefined when the weights are to be searched. */
function fixedWeights(o: BlendRawOptions): { members: BlendMember[]; weights: number[] } | undefined {
  const members = BLEND_MEMBERS.filter((m) => o[m] !== undefined);
  if (members.length === 0) return undefined;
  const weights = members.map((m) => o[m] as number);
  if (!weights.some((w) => w > 0))
    throw new ValidationError('blend: at least one member weight must be > 0', `blend.${members[0]}`);
  return { members, weights };
}

/**
 * Trains a blend: with fixed weights, each member with a positive weight on `dataset`; otherwise the
 * members on each of `folds` validation splits carved from `dataset` first, to choose weights and
 * fusion on the pooled folds (searchBlendWeights), then the chosen members on all of `dataset`.
 */
export function trainBlend(
  dataset: Dataset,
  raw: unknown,
  seed: number,
  resolve: BlendMemberResolver,
): BlendModel {
  const o = blendOptions(raw);
  const memberOptions = (m: BlendMember): unknown => {
    const value = o.memberOptions && Object.hasOwn(o.memberOptions, m) ? o.memberOptions[m] : undefined;
    return parseOptions(resolve(m).options, value, `blend.memberOptions.${m}`);
  };
  const base: BlendOptions = { fusion: o.fusion, candidates: o.candidates, rankOffset: o.rankOffset };
  const trainAll = (members: readonly BlendMember[], weights: readonly number[], fusion: Fusion) => {
    const kept = members.filter((_, i) => weights[i] > 0);
    const models = kept.map((m) => resolve(m).train(dataset, memberOptions(m), seed));
    return new BlendModel(
      models,
      weights.filter((w) => w > 0),
      dataset.items.size,
      { ...base, fusion },
      'blend',
      kept,
    );
  };
  const fixed = fixedWeights(o);
  if (fixed) return trainAll(fixed.members, fixed.weights, o.fusion);

  const members = [...new Set(o.members ?? DEFAULT_BLEND_MEMBERS)];
  for (const m of members) memberOptions(m); // a bad member option fails before any training
  const folds = carveFolds(dataset, o.folds ?? DEFAULT_BLEND_FOLDS, {
    protocol: o.protocol ?? 'random',
    seed,
    maxUsers: o.validationUsers ?? 2000,
  });
  if (folds.targets.length === 0)
    throw new DataError('blend: no validation users to choose the weights on (too little data)');
  // lists[m] pools member m's lists over the folds, aligned with folds.targets
  const lists = members.map((m) =>
    folds.splits.flatMap(({ split, users }) => {
      const model = resolve(m).train(split.train, memberOptions(m), seed);
      return users.map((u) => model.recommend(u, o.candidates));
    }),
  );
  const choice = searchBlendWeights(lists, folds.targets, dataset.items.size, base);
  return trainAll(members, choice.weights, choice.fusion);
}

/** The weight search's validation folds: one split per fold, its users with targets, and all targets in fold order. */
export interface BlendFolds {
  readonly splits: { readonly split: Split; readonly users: number[] }[];
  readonly targets: Int32Array[];
}

/**
 * Carves `count` validation splits from `dataset`. Seeded protocols (`random`, `personalize`) carve
 * fold f with seed `seed + 7 + 101 f` (fold 0 is the single split of earlier versions); `temporal` is
 * deterministic, so its fold f + 1 is carved from fold f's training part (rolling origin: each fold
 * holds out the window just before the previous one). Pooling the folds' (user, targets) pairs in one
 * search makes the choice the best on average over the folds.
 */
export function carveFolds(
  dataset: Dataset,
  count: number,
  options: { readonly protocol: SplitProtocol; readonly seed: number; readonly maxUsers: number },
): BlendFolds {
  const splits: BlendFolds['splits'] = [];
  const targets: Int32Array[] = [];
  let from = dataset;
  for (let f = 0; f < count; f++) {
    const split = carveValidation(from, {
      protocol: options.protocol,
      seed: options.seed + 7 + 101 * f,
      maxUsers: options.maxUsers,
    });
    if (options.protocol === 'temporal') from = split.train;
    const users: number[] = [];
    for (let u = 0; u < dataset.users.size; u++) {
      const t = targetsOf(split.test, u);
      if (t.length > 0) {
        users.push(u);
        targets.push(t);
      }
    }
    splits.push({ split, users });
  }
  return { splits, targets };
}

const MAGIC = 0x4f53424c; // "OSBL"

/** Stores a blend as its fusion settings and each member's own stored bytes. */
export function serializeBlend(model: BlendModel, resolve: BlendMemberResolver): Uint8Array {
  const names = model.memberNames;
  if (!names) throw new ValidationError('blend: an ad-hoc blend (no member names) cannot be stored', 'blend');
  const parts = model.members.map((m, i) => {
    const entry = resolve(names[i]);
    if (!entry.serialize) throw new ValidationError(`blend: member ${names[i]} cannot be stored`, 'blend');
    return entry.serialize(m);
  });
  const meta = new TextEncoder().encode(
    JSON.stringify({ members: names, weights: model.weights, options: model.options }),
  );
  const total = 8 + meta.length + parts.reduce((s, p) => s + 4 + p.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC);
  view.setUint32(4, meta.length);
  out.set(meta, 8);
  let at = 8 + meta.length;
  for (const p of parts) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/** Restores a blend written by serializeBlend for the dataset its members were trained on. */
export function deserializeBlend(
  bytes: Uint8Array,
  dataset: Dataset,
  resolve: BlendMemberResolver,
): BlendModel {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || view.getUint32(0) !== MAGIC)
    throw new DataError('blend: not a stored blend model (bad magic)');
  const metaLen = view.getUint32(4);
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + metaLen))) as {
    members: BlendMember[];
    weights: number[];
    options: BlendOptions;
  };
  let at = 8 + metaLen;
  const members = meta.members.map((name) => {
    const len = view.getUint32(at);
    const part = bytes.subarray(at + 4, at + 4 + len);
    at += 4 + len;
    const entry = resolve(name);
    if (!entry.deserialize) throw new DataError(`blend: member ${name} cannot be restored`);
    return entry.deserialize(part, dataset);
  });
  return new BlendModel(members, meta.weights, dataset.items.size, meta.options, 'blend', meta.members);
}
