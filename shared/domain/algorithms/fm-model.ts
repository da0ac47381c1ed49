import { IdIndex } from '../data/dataset.js';
import { ValidationError } from '../errors.js';
import type { RecommendOptions, Recommender, TopN } from './recommender.js';
import { topK } from './top-k.js';

/**
 * Sparse feature rows in CSR form: the features of entity e are `index[ptr[e] .. ptr[e+1])` with weights
 * `weight[...]` (one-hot id weight 1, multi-valued attributes share a weight of 1 per column).
 */
export interface FeatureRows {
  readonly ptr: Int32Array;
  readonly index: Int32Array;
  readonly weight: Float32Array;
}

/** One categorical attribute column mapped to a contiguous block of FM features. */
export interface FmAttributeBlock {
  readonly name: string;
  readonly dict: IdIndex;
  /** Feature index of dict value 0. */
  readonly offset: number;
}

/**
 * Everything needed to map ids and attributes to FM features. Feature indices are laid out as
 * [user ids | user attribute blocks | item ids | item attribute blocks].
 */
export interface FmLayout {
  readonly users: IdIndex;
  readonly items: IdIndex;
  readonly userBlocks: readonly FmAttributeBlock[];
  readonly itemBlocks: readonly FmAttributeBlock[];
  /** Feature index of item 0's id feature (= user ids + user attribute values). */
  readonly itemBase: number;
  readonly features: number;
  /** Weight of each attribute column (split evenly among a multi-valued field's values). */
  readonly attributeWeight: number;
  /** Feature index of the history feature of item 0, or -1 when the model has no history features. */
  readonly historyBase: number;
  /** Total weight of a user's history features (each item weighs historyWeight/√n). */
  readonly historyWeight: number;
}

/** FM parameters: global bias, one weight per feature and a features × k factor matrix (row-major). */
export interface FmParams {
  readonly k: number;
  readonly w0: Float32Array;
  readonly w: Float32Array;
  readonly v: Float32Array;
}

/** Ranking loss an FM was trained with (see FmOptions.loss). */
export type FmLoss = 'warp' | 'bpr' | 'warp-batch';

/** What training did (absent on a deserialised model). */
export interface FmTrainingInfo {
  readonly loss: FmLoss;
  readonly optimizer: 'adagrad' | 'adam';
  /** Epochs run in the (last) training pass. */
  readonly epochs: number;
  /** Best epoch (1-based) on the validation split, or the last epoch without validation. */
  readonly bestEpoch: number;
  /** Validation metric at the best epoch (NaN without validation). */
  readonly bestValidation: number;
  /** Validation metric after every epoch of the early-stopping pass. */
  readonly history: readonly number[];
  /** Whether the final parameters were refit on all training data for `bestEpoch` epochs. */
  readonly refit: boolean;
  /** Epochs trained after early stopping on all training data (finetuneEpochs; 0 when none). */
  readonly finetuneEpochs: number;
  readonly seconds: number;
  /** Ensembles (mergeFmModels): each member's training summary, in member order. */
  readonly members?: readonly FmTrainingInfo[];
}

/**
 * A trained factorization machine. Scores are ranking scores for one user:
 * `w0 + Σ_user w·x + Σ_item w·x + ⟨U, I⟩ + ½(‖I‖² − Σ_item x²‖v‖²)` where U and I are the weighted sums of
 * the user-side (id, attributes, history items) and item-side (id, attributes) factor rows. The user-only pairwise term is omitted because it is constant
 * for a user and cannot change a ranking (and pairwise losses never train it, nor w0 / user-side w).
 */
export class FmModel implements Recommender {
  readonly name = 'fm';
  /** Training summary; undefined for a deserialised model. */
  training?: FmTrainingInfo;
  /** Item-side factor sums, items × k (precomputed once so scoring a user is O(items × k)). */
  private readonly itemVec: Float32Array;
  /** Item-side linear + within-item pairwise term per item. */
  private readonly itemBias: Float32Array;
  private lowerValueMaps?: Map<string, number>[];

  constructor(
    readonly layout: FmLayout,
    readonly params: FmParams,
    readonly userFeatures: FeatureRows,
    readonly itemFeatures: FeatureRows,
    /** Training user × item positives (sorted item indices per user) used to exclude seen items. */
    readonly seen: { readonly indptr: Int32Array; readonly indices: Int32Array },
  ) {
    const nItems = layout.items.size;
    this.itemVec = new Float32Array(nItems * params.k);
    this.itemBias = new Float32Array(nItems);
    computeItemSide(params, itemFeatures, nItems, this.itemVec, this.itemBias);
  }

  get k(): number {
    return this.params.k;
  }

  /** Scores every item for a training user index (unknown indices get attribute-free scores). */
  scoreUser(user: number): Float32Array {
    const uvec = new Float64Array(this.k);
    let bias = this.params.w0[0];
    const uf = this.userFeatures;
    if (user >= 0 && user < this.layout.users.size) {
      bias += accumulateRows(this.params, uf.index, uf.weight, uf.ptr[user], uf.ptr[user + 1], uvec);
    }
    return this.scoreVector(uvec, bias);
  }

  /** Scores every item for an arbitrary user-side feature vector (used for cold users). */
  scoreFeatures(index: Int32Array, weight: Float32Array): Float32Array {
    const uvec = new Float64Array(this.k);
    const bias = this.params.w0[0] + accumulateRows(this.params, index, weight, 0, index.length, uvec);
    return this.scoreVector(uvec, bias);
  }

  /**
   * Top-n items for a training user index, excluding the items it interacted with unless `includeSeen`.
   * A user without interactions is scored from its attributes alone.
   */
  recommend(user: number, n: number, options?: RecommendOptions): TopN {
    const scores = this.scoreUser(user);
    let skip: Uint8Array | undefined;
    if (!options?.includeSeen && user >= 0 && user < this.layout.users.size) {
      skip = new Uint8Array(scores.length);
      for (let p = this.seen.indptr[user]; p < this.seen.indptr[user + 1]; p++)
        skip[this.seen.indices[p]] = 1;
    }
    return topK(scores, n, skip);
  }

  /**
   * Top-n items for a cold user described only by attributes (column name → value, `a|b` for several
   * values). Column names match case-insensitively; unknown columns and values are ignored, so an empty
   * description ranks by item-side terms alone (a learned popularity).
   */
  recommendForAttributes(
    attributes: Readonly<Record<string, string>>,
    n: number,
    options?: { readonly excludeItems?: ArrayLike<number> },
  ): TopN {
    const { index, weight } = this.attributeFeatures(attributes);
    const scores = this.scoreFeatures(index, weight);
    let skip: Uint8Array | undefined;
    const ex = options?.excludeItems;
    if (ex && ex.length > 0) {
      skip = new Uint8Array(scores.length);
      for (let j = 0; j < ex.length; j++) if (ex[j] >= 0 && ex[j] < skip.length) skip[ex[j]] = 1;
    }
    return topK(scores, n, skip);
  }

  /**
   * Top-n items for a user known only by attributes and/or recent items (item indices, e.g. a session or
   * interactions since the last training), without retraining; the given items are excluded. Items only
   * count when the model has history features (the default).
   */
  recommendForProfile(
    profile: { readonly attributes?: Readonly<Record<string, string>>; readonly items?: ArrayLike<number> },
    n: number,
  ): TopN {
    const attr = this.attributeFeatures(profile.attributes ?? {});
    const items = profile.items ?? [];
    const skip = new Uint8Array(this.layout.items.size);
    const hist: number[] = [];
    for (let j = 0; j < items.length; j++) {
      const i = items[j];
      if (i >= 0 && i < skip.length && skip[i] === 0) {
        skip[i] = 1;
        hist.push(i);
      }
    }
    const { historyBase, historyWeight } = this.layout;
    const useHist = historyBase >= 0 && hist.length > 0;
    const len = attr.index.length + (useHist ? hist.length : 0);
    const index = new Int32Array(len);
    const weight = new Float32Array(len);
    index.set(attr.index);
    weight.set(attr.weight);
    if (useHist) {
      const w = historyWeight / Math.sqrt(hist.length);
      for (let j = 0; j < hist.length; j++) {
        index[attr.index.length + j] = historyBase + hist[j];
        weight[attr.index.length + j] = w;
      }
    }
    return topK(this.scoreFeatures(index, weight), n, skip);
  }

  /** Maps user attributes to weighted FM features (the same weighting as in training). */
  attributeFeatures(attributes: Readonly<Record<string, string>>): {
    index: Int32Array;
    weight: Float32Array;
  } {
    const idx: number[] = [];
    const wts: number[] = [];
    const blocks = this.layout.userBlocks;
    for (const [rawName, raw] of Object.entries(attributes)) {
      if (typeof raw !== 'string')
        throw new ValidationError(`attribute ${rawName} must be a string`, rawName);
      const name = rawName.toLowerCase();
      const b = blocks.findIndex((blk) => blk.name.toLowerCase() === name);
      if (b < 0) continue;
      const found: number[] = [];
      for (const part of raw.split('|')) {
        const v = part.trim();
        if (v === '') continue;
        let d = blocks[b].dict.get(v);
        if (d < 0) d = this.lowerValues(b).get(v.toLowerCase()) ?? -1;
        if (d >= 0 && !found.includes(d)) found.push(d);
      }
      for (const d of found) {
        idx.push(blocks[b].offset + d);
        wts.push(this.layout.attributeWeight / found.length);
      }
    }
    return { index: Int32Array.from(idx), weight: Float32Array.from(wts) };
  }

  private lowerValues(block: number): Map<string, number> {
    this.lowerValueMaps ??= [];
    let m = this.lowerValueMaps[block];
    if (!m) {
      m = new Map();
      const ids = this.layout.userBlocks[block].dict.ids;
      for (let d = 0; d < ids.length; d++) if (!m.has(ids[d].toLowerCase())) m.set(ids[d].toLowerCase(), d);
      this.lowerValueMaps[block] = m;
    }
    return m;
  }

  private scoreVector(uvec: Float64Array, bias: number): Float32Array {
    return scoreAllItems(uvec, bias, this.itemVec, this.itemBias, this.k);
  }
}

/** Adds Σ x·v of rows [start, end) into `out` and returns Σ x·w. */
export function accumulateRows(
  params: FmParams,
  index: Int32Array,
  weight: Float32Array,
  start: number,
  end: number,
  out: Float64Array,
): number {
  const { k, v, w } = params;
  let lin = 0;
  for (let p = start; p < end; p++) {
    const f = index[p];
    const x = weight[p];
    lin += x * w[f];
    const base = f * k;
    for (let c = 0; c < k; c++) out[c] += x * v[base + c];
  }
  return lin;
}

/**
 * Sums item `i`'s feature factors x·v into `out` (its factor sum I; `out` of length k is overwritten) and
 * returns its item-side bias Σ x·w + ½(‖I‖² − Σ x²‖v‖²), the part of the score that needs no user.
 */
export function itemSide(params: FmParams, itemFeatures: FeatureRows, i: number, out: Float64Array): number {
  const { k, v, w } = params;
  const { ptr, index, weight } = itemFeatures;
  out.fill(0);
  let lin = 0;
  let sq = 0;
  for (let p = ptr[i]; p < ptr[i + 1]; p++) {
    const f = index[p];
    const x = weight[p];
    lin += x * w[f];
    const base = f * k;
    for (let c = 0; c < k; c++) {
      const xv = x * v[base + c];
      out[c] += xv;
      sq += xv * xv;
    }
  }
  let norm = 0;
  for (let c = 0; c < k; c++) norm += out[c] * out[c];
  return lin + 0.5 * (norm - sq);
}

/** Precomputes per item the factor sum I and the item-side bias (see itemSide). */
export function computeItemSide(
  params: FmParams,
  itemFeatures: FeatureRows,
  nItems: number,
  itemVec: Float32Array,
  itemBias: Float32Array,
): void {
  const acc = new Float64Array(params.k);
  for (let i = 0; i < nItems; i++) {
    itemBias[i] = itemSide(params, itemFeatures, i, acc);
    itemVec.set(acc, i * params.k);
  }
}

/** bias + itemBias[i] + ⟨uvec, itemVec[i]⟩ for every item. */
export function scoreAllItems(
  uvec: Float64Array,
  bias: number,
  itemVec: Float32Array,
  itemBias: Float32Array,
  k: number,
): Float32Array {
  const n = itemBias.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = bias + itemBias[i];
    const o = i * k;
    for (let c = 0; c < k; c++) s += uvec[c] * itemVec[o + c];
    out[i] = s;
  }
  return out;
}

/** Builds an IdIndex from a list of ids (deserialisation). */
export function idIndexOf(ids: readonly string[]): IdIndex {
  const index = new IdIndex();
  for (const id of ids) index.intern(id);
  return index;
}
