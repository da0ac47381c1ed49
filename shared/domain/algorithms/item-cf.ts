import { buildUserItemCsr, transposeCsr } from '../data/csr.js';
import { type CsrMatrix, type Dataset, IdIndex } from '../data/dataset.js';
import { DataError, ValidationError } from '../errors.js';
import { DEFAULT_EVENT_WEIGHTS, type RecommendOptions, type Recommender, type TopN } from './recommender.js';

/**
 * Item-based collaborative filtering (ItemKNN). Item-item similarities are computed item by item with a
 * sparse accumulator over the item→users and user→items CSRs, keeping only the top-K neighbours per item,
 * so memory grows with interactions and items × K, never with items × items or users × items.
 */

/** How each user's contribution to an item-item dot product is weighted. */
export type UserWeighting = 'none' | 'idf' | 'bm25';

export interface ItemCfOptions {
  /** Neighbours kept per item (K). */
  readonly neighbours?: number;
  /** Shrinkage added to the cosine denominator; damps similarities backed by few co-occurrences. */
  readonly shrink?: number;
  /**
   * Asymmetric cosine exponent: denominator is (|i|²)^alpha · (|j|²)^(1-alpha) for history item i and
   * candidate j; 0.5 is plain cosine, higher alpha penalises popular candidates less.
   */
  readonly alpha?: number;
  /** Similarity exponent ("sharpening"); >1 favours the strongest neighbours. */
  readonly simExponent?: number;
  /** Weighting of the user side of the item × user matrix before the dot products. */
  readonly userWeighting?: UserWeighting;
  /** BM25 saturation (only with userWeighting 'bm25'). */
  readonly bm25K1?: number;
  /** BM25 length normalisation (only with userWeighting 'bm25'). */
  readonly bm25B?: number;
  /**
   * Which side the top-K pruning applies to: 'source' keeps each history item's K best targets;
   * 'target' keeps, for each candidate item, its K most similar history items (classic ItemKNN).
   */
  readonly pruneBy?: 'source' | 'target';
  /** Scale each item's neighbour row so its largest similarity is 1. */
  readonly normalizeRows?: boolean;
  /** Weights per event type name (case-insensitive); '' and unknown types weigh 1. */
  readonly eventWeights?: Readonly<Record<string, number>>;
  /** Half-life in days of an interaction's weight, relative to the newest timestamp; 0/undefined = no decay. */
  readonly halfLifeDays?: number;
}

/**
 * Defaults chosen on ML-100K (per-user random 80/20, P@10, mean of seeds 42 and 1; bench/cf-speed.ts --grid):
 * plain cosine K=100 0.329 (the published ItemKNN figure); target pruning beats source pruning by ~0.05;
 * alpha 0.75 (popular candidates penalised less) +0.01; row normalisation, K=50 and IDF user weighting
 * +0.005 each; 0.358 together. Sharpening and BM25 did not help here.
 */
export const DEFAULT_ITEM_CF_OPTIONS = {
  neighbours: 50,
  shrink: 10,
  alpha: 0.75,
  simExponent: 1,
  userWeighting: 'idf' as UserWeighting,
  bm25K1: 1.2,
  bm25B: 0.75,
  pruneBy: 'target' as 'source' | 'target',
  normalizeRows: true,
  halfLifeDays: 0,
};

/** Sparse neighbour lists: row i holds the items that i pushes score to, best first. */
export interface NeighbourLists {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly sims: Float32Array;
}

/**
 * Per event type index (Dataset.eventTypes), its weight: names are matched case-insensitively,
 * the empty type and unknown types weigh 1.
 */
export function resolveEventWeights(
  eventTypes: IdIndex,
  weights: Readonly<Record<string, number>> = DEFAULT_EVENT_WEIGHTS,
): Float32Array {
  const lower = new Map<string, number>();
  for (const [k, v] of Object.entries(weights)) {
    if (!Number.isFinite(v) || v < 0)
      throw new ValidationError(`event weight for "${k}" must be >= 0`, 'eventWeights');
    lower.set(k.toLowerCase(), v);
  }
  const out = new Float32Array(eventTypes.size);
  for (let t = 0; t < eventTypes.size; t++) {
    const name = eventTypes.ids[t];
    out[t] = name === '' ? 1 : (lower.get(name.toLowerCase()) ?? 1);
  }
  return out;
}

/**
 * Weight function per interaction row: event-type weight × optional exponential time decay
 * (half-life in days, relative to the dataset's newest timestamp).
 */
export function interactionWeight(
  dataset: Dataset,
  eventWeights?: Readonly<Record<string, number>>,
  halfLifeDays = 0,
): (row: number) => number {
  const ew = resolveEventWeights(dataset.eventTypes, eventWeights);
  const { eventType, timestamp, length } = dataset.interactions;
  if (!(halfLifeDays > 0)) return (r) => ew[eventType[r]];
  let maxTs = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < length; r++) if (timestamp[r] > maxTs) maxTs = timestamp[r];
  const k = Math.LN2 / (halfLifeDays * 86400);
  return (r) => ew[eventType[r]] * Math.exp(-k * (maxTs - timestamp[r]));
}

/**
 * Fixed-capacity min-heap selecting the best (score, lowest index) entries; reused across rows so the
 * hot loop allocates nothing.
 */
export class TopSelector {
  private idx: Int32Array;
  private val: Float64Array;
  private size = 0;
  private cap = 0;

  constructor(capacity: number) {
    this.idx = new Int32Array(Math.max(1, capacity));
    this.val = new Float64Array(Math.max(1, capacity));
  }

  /** Starts a new selection of at most `cap` entries. */
  reset(cap: number): void {
    if (cap > this.idx.length) {
      this.idx = new Int32Array(cap);
      this.val = new Float64Array(cap);
    }
    this.cap = cap;
    this.size = 0;
  }

  get count(): number {
    return this.size;
  }

  /** Offers candidate `i` with score `v` (NaN/-Infinity are ignored). */
  push(i: number, v: number): void {
    if (!(v > Number.NEGATIVE_INFINITY) || this.cap === 0) return;
    const idx = this.idx;
    const val = this.val;
    if (this.size < this.cap) {
      let c = this.size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        // parent must stay the worst: stop when v is not worse than the parent
        if (!(v < val[p] || (v === val[p] && i > idx[p]))) break;
        val[c] = val[p];
        idx[c] = idx[p];
        c = p;
      }
      val[c] = v;
      idx[c] = i;
      return;
    }
    // replace the root only when the candidate beats the current worst
    if (!(v > val[0] || (v === val[0] && i < idx[0]))) return;
    this.siftDown(i, v, this.size);
  }

  private siftDown(i: number, v: number, size: number): void {
    const idx = this.idx;
    const val = this.val;
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= size) break;
      const r = l + 1;
      const m = r < size && (val[r] < val[l] || (val[r] === val[l] && idx[r] > idx[l])) ? r : l;
      if (!(val[m] < v || (val[m] === v && idx[m] > i))) break;
      val[c] = val[m];
      idx[c] = idx[m];
      c = m;
    }
    val[c] = v;
    idx[c] = i;
  }

  /** Writes the selection best-first into out arrays at `offset`; returns the count. Empties the heap. */
  drain(outIdx: Int32Array, outVal: Float32Array, offset = 0): number {
    const n = this.size;
    // popping the min repeatedly yields worst-first, so fill from the back
    for (let k = n - 1; k >= 0; k--) {
      outIdx[offset + k] = this.idx[0];
      outVal[offset + k] = this.val[0];
      const last = this.size - 1;
      this.size = last;
      if (last > 0) this.siftDown(this.idx[last], this.val[last], last);
    }
    return n;
  }
}

/**
 * Collects one top-K selection per row into CSR neighbour lists, growing its buffers (doubling) when a
 * row does not fit; rows are appended in order 0, 1, 2, ...
 */
export class NeighbourListsBuilder {
  private readonly indptr: Int32Array;
  private indices: Int32Array;
  private sims: Float32Array;
  private nnz = 0;

  constructor(rows: number, capacity: number) {
    this.indptr = new Int32Array(rows + 1);
    this.indices = new Int32Array(capacity);
    this.sims = new Float32Array(capacity);
  }

  /** Drains `sel` (best first) as the list of `row`, the row after the previous one. */
  appendRow(row: number, sel: TopSelector): void {
    const nnz = this.nnz;
    if (nnz + sel.count > this.indices.length) {
      const grow = Math.max(this.indices.length * 2, nnz + sel.count);
      const ni = new Int32Array(grow);
      ni.set(this.indices.subarray(0, nnz));
      const ns = new Float32Array(grow);
      ns.set(this.sims.subarray(0, nnz));
      this.indices = ni;
      this.sims = ns;
    }
    this.nnz = nnz + sel.drain(this.indices, this.sims, nnz);
    this.indptr[row + 1] = this.nnz;
  }

  /** The lists, trimmed to the entries appended. */
  build(): NeighbourLists {
    return {
      indptr: this.indptr,
      indices: this.indices.slice(0, this.nnz),
      sims: this.sims.slice(0, this.nnz),
    };
  }
}

/** Applies the user-side weighting to an item × user matrix (returns new data, same structure). */
function weightItemUser(
  itemUsers: CsrMatrix,
  userLen: Int32Array,
  mode: UserWeighting,
  k1: number,
  b: number,
) {
  const data = new Float32Array(itemUsers.data.length);
  if (mode === 'none') {
    data.set(itemUsers.data);
    return data;
  }
  const nItems = itemUsers.rows;
  let total = 0;
  for (let i = 0; i < nItems; i++) total += itemUsers.indptr[i + 1] - itemUsers.indptr[i];
  const avgLen = total / Math.max(1, nItems);
  for (let i = 0; i < nItems; i++) {
    const len = itemUsers.indptr[i + 1] - itemUsers.indptr[i];
    const norm = k1 * (1 - b + (b * len) / Math.max(avgLen, 1e-9));
    for (let p = itemUsers.indptr[i]; p < itemUsers.indptr[i + 1]; p++) {
      const u = itemUsers.indices[p];
      // a user who touched many items says little about any pair of them (IDF over the user "term")
      const idf = Math.log(1 + nItems / Math.max(1, userLen[u]));
      const x = itemUsers.data[p];
      data[p] = mode === 'idf' ? x * idf : ((x * (k1 + 1)) / (x + norm)) * idf;
    }
  }
  return data;
}

/**
 * Computes the top-K item-item similarity lists from the item × user matrix (interaction weights).
 * Works item by item with a reused Float32Array accumulator and a touched list: cost is
 * Σ_users |items(u)|², memory O(interactions + items·K).
 */
export function computeItemNeighbours(itemUsersRaw: CsrMatrix, options: ItemCfOptions = {}): NeighbourLists {
  const o = { ...DEFAULT_ITEM_CF_OPTIONS, ...stripUndefined(options) };
  validateCfOptions(o);
  const nItems = itemUsersRaw.rows;
  const nUsers = itemUsersRaw.cols;
  const userLen = new Int32Array(nUsers);
  for (let p = 0; p < itemUsersRaw.indices.length; p++) userLen[itemUsersRaw.indices[p]]++;
  const itemUsers: CsrMatrix = {
    ...itemUsersRaw,
    data: weightItemUser(itemUsersRaw, userLen, o.userWeighting, o.bm25K1, o.bm25B),
  };
  const userItems = transposeCsr(itemUsers);

  // squared norms: asymmetric cosine is dot / ((|r|²)^a · (|c|²)^(1-a)), plain cosine at a = 0.5
  const norm = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) {
    let s = 0;
    for (let p = itemUsers.indptr[i]; p < itemUsers.indptr[i + 1]; p++)
      s += itemUsers.data[p] * itemUsers.data[p];
    norm[i] = s;
  }
  // row item r, column item c: sim = dot / (|r|^a · |c|^(1-a) + shrink); with target pruning the row is the
  // candidate and the columns are the history items, so the exponent sides swap.
  const rowExp = o.pruneBy === 'target' ? 1 - o.alpha : o.alpha;
  const rowNorm = new Float64Array(nItems);
  const colNorm = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) {
    rowNorm[i] = norm[i] ** rowExp;
    colNorm[i] = norm[i] ** (1 - rowExp);
  }

  const k = Math.min(o.neighbours, Math.max(0, nItems - 1));
  const out = new NeighbourListsBuilder(nItems, Math.min(nItems * k, Math.max(16, userItems.indices.length)));
  const acc = new Float32Array(nItems);
  const mark = new Int32Array(nItems).fill(-1);
  const touched = new Int32Array(nItems);
  const sel = new TopSelector(k);
  const { indptr: iuPtr, indices: iuIdx, data: iuVal } = itemUsers;
  const { indptr: uiPtr, indices: uiIdx, data: uiVal } = userItems;
  const sharpen = o.simExponent !== 1;
  for (let i = 0; i < nItems; i++) {
    let nt = 0;
    // a row touching more entries than the catalogue has items accumulates densely: no mark test in the
    // inner loop, one scan after (same sums in the same order, so the same lists)
    let work = 0;
    for (let p = iuPtr[i]; p < iuPtr[i + 1]; p++) work += uiPtr[iuIdx[p] + 1] - uiPtr[iuIdx[p]];
    if (work > nItems) {
      acc.fill(0);
      for (let p = iuPtr[i]; p < iuPtr[i + 1]; p++) {
        const u = iuIdx[p];
        const x = iuVal[p];
        for (let q = uiPtr[u]; q < uiPtr[u + 1]; q++) acc[uiIdx[q]] += x * uiVal[q];
      }
      sel.reset(k);
      const ri = rowNorm[i];
      for (let j = 0; j < nItems; j++) {
        if (acc[j] === 0 || j === i) continue;
        let s = acc[j] / (ri * colNorm[j] + o.shrink);
        if (sharpen) s = s ** o.simExponent;
        if (s > 0) sel.push(j, s);
      }
      out.appendRow(i, sel);
      continue;
    }
    for (let p = iuPtr[i]; p < iuPtr[i + 1]; p++) {
      const u = iuIdx[p];
      const x = iuVal[p];
      for (let q = uiPtr[u]; q < uiPtr[u + 1]; q++) {
        const j = uiIdx[q];
        if (mark[j] !== i) {
          mark[j] = i;
          acc[j] = 0;
          touched[nt++] = j;
        }
        acc[j] += x * uiVal[q];
      }
    }
    sel.reset(k);
    const ri = rowNorm[i];
    for (let t = 0; t < nt; t++) {
      const j = touched[t];
      if (j === i) continue;
      let s = acc[j] / (ri * colNorm[j] + o.shrink);
      if (sharpen) s = s ** o.simExponent;
      if (s > 0) sel.push(j, s);
    }
    out.appendRow(i, sel);
  }
  let lists = out.build();
  // rows of the transposed lists stay in index order: scoring does not need them sorted and
  // neighbours() sorts its one row on demand (sorting 100k rows here costs more than the transpose)
  if (o.pruneBy === 'target') lists = transposeLists(lists, nItems, false);
  if (o.normalizeRows) normaliseRowsInPlace(lists);
  return lists;
}

/** Transposes neighbour lists; with `sort`, re-sorts each row best-first (ties by lower index). */
export function transposeLists(l: NeighbourLists, nItems: number, sort = true): NeighbourLists {
  const t = transposeCsr({ rows: nItems, cols: nItems, indptr: l.indptr, indices: l.indices, data: l.sims });
  if (sort) sortRowsDesc(t.indptr, t.indices, t.data);
  return { indptr: t.indptr, indices: t.indices, sims: t.data };
}

/** Sorts every CSR row by descending value, ties by ascending index (insertion sort for short rows). */
export function sortRowsDesc(indptr: Int32Array, indices: Int32Array, vals: Float32Array): void {
  const rows = indptr.length - 1;
  for (let r = 0; r < rows; r++) {
    const s = indptr[r];
    const e = indptr[r + 1];
    if (e - s < 2) continue;
    if (e - s <= 32) {
      for (let a = s + 1; a < e; a++) {
        const vi = indices[a];
        const vv = vals[a];
        let b = a - 1;
        while (b >= s && (vals[b] < vv || (vals[b] === vv && indices[b] > vi))) {
          indices[b + 1] = indices[b];
          vals[b + 1] = vals[b];
          b--;
        }
        indices[b + 1] = vi;
        vals[b + 1] = vv;
      }
    } else {
      const order = Array.from({ length: e - s }, (_, j) => s + j).sort((a, b) =>
        vals[a] === vals[b] ? indices[a] - indices[b] : vals[b] - vals[a],
      );
      const ti = order.map((p) => indices[p]);
      const tv = order.map((p) => vals[p]);
      indices.set(ti, s);
      vals.set(tv, s);
    }
  }
}

function normaliseRowsInPlace(l: NeighbourLists): void {
  for (let r = 0; r + 1 < l.indptr.length; r++) {
    let m = 0;
    for (let p = l.indptr[r]; p < l.indptr[r + 1]; p++) if (l.sims[p] > m) m = l.sims[p];
    if (m > 0) for (let p = l.indptr[r]; p < l.indptr[r + 1]; p++) l.sims[p] /= m;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function validateCfOptions(o: typeof DEFAULT_ITEM_CF_OPTIONS): void {
  if (!Number.isInteger(o.neighbours) || o.neighbours < 1)
    throw new ValidationError('neighbours must be an integer >= 1', 'neighbours');
  if (!(o.shrink >= 0)) throw new ValidationError('shrink must be >= 0', 'shrink');
  if (!(o.alpha >= 0 && o.alpha <= 1)) throw new ValidationError('alpha must be in [0, 1]', 'alpha');
  if (!(o.simExponent > 0)) throw new ValidationError('simExponent must be > 0', 'simExponent');
  if (!(o.halfLifeDays >= 0)) throw new ValidationError('halfLifeDays must be >= 0', 'halfLifeDays');
  if (o.pruneBy !== 'source' && o.pruneBy !== 'target')
    throw new ValidationError('pruneBy must be source or target', 'pruneBy');
  if (!['none', 'idf', 'bm25'].includes(o.userWeighting))
    throw new ValidationError('userWeighting must be none, idf or bm25', 'userWeighting');
}

/** Per-user item history (CSR user → item with weights), used to score and to exclude seen items. */
export interface UserHistory {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly weights: Float32Array;
}

/**
 * A model that scores by pushing weights through sparse item neighbour lists. Shared by CF and the
 * session model; holds reusable scratch buffers (a model instance is not re-entrant, which is fine on
 * single-threaded Lambda).
 */
export class NeighbourModel {
  readonly nItems: number;
  readonly items: IdIndex;
  private readonly scores: Float32Array;
  private readonly mark: Int32Array;
  private readonly skip: Int32Array;
  private readonly touched: Int32Array;
  private stamp = 0;
  private readonly sel = new TopSelector(16);

  constructor(
    items: IdIndex | readonly string[],
    readonly lists: NeighbourLists,
    readonly history?: UserHistory,
  ) {
    this.items = items instanceof IdIndex ? items : indexOf(items);
    this.nItems = lists.indptr.length - 1;
    if (this.items.size !== this.nItems)
      throw new ValidationError(
        `model has ${this.nItems} items but ${this.items.size} item ids were given`,
        'itemIds',
      );
    this.scores = new Float32Array(this.nItems);
    this.mark = new Int32Array(this.nItems);
    this.skip = new Int32Array(this.nItems);
    this.touched = new Int32Array(this.nItems);
  }

  /** Number of users whose history the model holds (0 when deserialised without history). */
  get userCount(): number {
    return this.history ? this.history.indptr.length - 1 : 0;
  }

  /** The item's neighbours (targets it pushes score to), best first. */
  neighbours(item: number): TopN {
    if (!(item >= 0 && item < this.nItems)) return { items: new Int32Array(0), scores: new Float32Array(0) };
    const s = this.lists.indptr[item];
    const e = this.lists.indptr[item + 1];
    const items = this.lists.indices.slice(s, e);
    const scores = this.lists.sims.slice(s, e);
    sortRowsDesc(Int32Array.of(0, e - s), items, scores);
    return { items, scores };
  }

  /**
   * Dense score vector for a history (item indices with weights): Σ weight × sim. Unknown indices are
   * ignored. Allocates the returned array; prefer recommendFromItems on hot paths.
   */
  scoreUser(itemIndices: ArrayLike<number>, weights?: ArrayLike<number>): Float32Array {
    const out = new Float32Array(this.nItems);
    const { indptr, indices, sims } = this.lists;
    for (let h = 0; h < itemIndices.length; h++) {
      const i = itemIndices[h];
      if (!(i >= 0 && i < this.nItems)) continue;
      const w = weights ? weights[h] : 1;
      for (let p = indptr[i]; p < indptr[i + 1]; p++) out[indices[p]] += w * sims[p];
    }
    return out;
  }

  /**
   * Top-n items for an arbitrary list of items (e.g. a visitor's recent views) with optional weights.
   * Items in `exclude` (and, unless includeHistory, the given items themselves) are left out.
   * Cost is O(Σ neighbour-list lengths), independent of the catalogue size.
   */
  recommendFromItems(
    itemIndices: ArrayLike<number>,
    weights: ArrayLike<number> | undefined,
    n: number,
    exclude?: ArrayLike<number>,
    includeHistory = false,
  ): TopN {
    const stamp = this.nextStamp();
    const { skip } = this;
    if (exclude)
      for (let e = 0; e < exclude.length; e++)
        if (exclude[e] >= 0 && exclude[e] < this.nItems) skip[exclude[e]] = stamp;
    if (!includeHistory)
      for (let h = 0; h < itemIndices.length; h++)
        if (itemIndices[h] >= 0 && itemIndices[h] < this.nItems) skip[itemIndices[h]] = stamp;
    return this.collect(itemIndices, weights, n, stamp);
  }

  /** Recommends for a training user from their stored history; empty when unknown or without history. */
  recommend(user: number, n: number, options?: RecommendOptions): TopN {
    const h = this.history;
    if (!h || !(user >= 0 && user < h.indptr.length - 1) || n <= 0) return emptyTopN();
    const items = h.indices.subarray(h.indptr[user], h.indptr[user + 1]);
    const weights = h.weights.subarray(h.indptr[user], h.indptr[user + 1]);
    return this.recommendFromItems(items, weights, n, undefined, options?.includeSeen === true);
  }

  private nextStamp(): number {
    this.stamp++;
    if (this.stamp === 0x7fffffff) {
      this.mark.fill(0);
      this.skip.fill(0);
      this.stamp = 1;
    }
    return this.stamp;
  }

  private collect(
    itemIndices: ArrayLike<number>,
    weights: ArrayLike<number> | undefined,
    n: number,
    stamp: number,
  ): TopN {
    if (n <= 0) return emptyTopN();
    const { scores, mark, skip, touched } = this;
    const { indptr, indices, sims } = this.lists;
    let nt = 0;
    for (let h = 0; h < itemIndices.length; h++) {
      const i = itemIndices[h];
      if (!(i >= 0 && i < this.nItems)) continue;
      const w = weights ? weights[h] : 1;
      if (!(w > 0)) continue;
      for (let p = indptr[i]; p < indptr[i + 1]; p++) {
        const j = indices[p];
        if (mark[j] !== stamp) {
          mark[j] = stamp;
          scores[j] = 0;
          touched[nt++] = j;
        }
        scores[j] += w * sims[p];
      }
    }
    const sel = this.sel;
    sel.reset(n);
    for (let t = 0; t < nt; t++) {
      const j = touched[t];
      if (skip[j] !== stamp && scores[j] > 0) sel.push(j, scores[j]);
    }
    const out = { items: new Int32Array(sel.count), scores: new Float32Array(sel.count) };
    sel.drain(out.items, out.scores);
    return out;
  }
}

function emptyTopN(): TopN {
  return { items: new Int32Array(0), scores: new Float32Array(0) };
}

function indexOf(ids: readonly string[]): IdIndex {
  const idx = new IdIndex();
  for (const id of ids) idx.intern(id);
  if (idx.size !== ids.length) throw new ValidationError('item ids must be unique', 'itemIds');
  return idx;
}

/** Trained item-based CF model (Recommender name 'cf'). */
export class ItemCfModel extends NeighbourModel implements Recommender {
  readonly name = 'cf';
}

/** Builds the user history CSR with event weights and decay (duplicates summed). */
export function buildHistory(dataset: Dataset, weight: (row: number) => number): UserHistory {
  const m = buildUserItemCsr(dataset, weight);
  return { indptr: m.indptr, indices: m.indices, weights: m.data };
}

/**
 * Trains item-based CF on a dataset: event-weighted (optionally time-decayed) user × item matrix,
 * top-K neighbour lists, and the users' histories for recommend(user).
 */
export function trainItemCf(dataset: Dataset, options: ItemCfOptions = {}): ItemCfModel {
  const weight = interactionWeight(dataset, options.eventWeights, options.halfLifeDays ?? 0);
  const ui = buildUserItemCsr(dataset, weight);
  const lists = computeItemNeighbours(transposeCsr(ui), options);
  return new ItemCfModel(dataset.items, lists, { indptr: ui.indptr, indices: ui.indices, weights: ui.data });
}

// ---- serialisation -------------------------------------------------------------------------------

const MAGIC = 0x4f53_4e4d; // "OSNM"
const FORMAT_VERSION = 1;
const HEADER_WORDS = 10;
const FLAG_HISTORY = 1;
const FLAG_RECENT = 2;
/** Model kinds in the binary header. */
export const MODEL_KIND = { cf: 1, session: 2 } as const;

export interface SerializeOptions {
  /** Also store the users' histories (needed for recommend(user)); default true. */
  readonly includeHistory?: boolean;
}

/** The parts of a neighbour model as stored in binary form. */
export interface NeighbourModelParts {
  readonly kind: number;
  readonly nItems: number;
  readonly lists: NeighbourLists;
  /** Per-user item history (all users of the training data). */
  readonly history?: UserHistory;
  /** A second per-user CSR over the same users (the session model's recent events). */
  readonly recent?: UserHistory;
  /** Model-specific scalar parameters. */
  readonly params?: Float32Array;
}

/**
 * Little-endian binary layout, all 4-byte words: header [magic, version, kind, nItems, nnz, nUsers,
 * historyNnz, recentNnz, nParams, flags], then neighbour indptr/indices/sims, then (if flagged) history
 * indptr/indices/weights and recent indptr/indices/weights, then params. Loads with zero parsing: the
 * arrays are views on one buffer.
 */
export function serializeNeighbourModel(parts: NeighbourModelParts): Uint8Array {
  const { lists, history: h, recent: rc } = parts;
  const params = parts.params ?? new Float32Array(0);
  const nItems = parts.nItems;
  const nnz = lists.indices.length;
  const nUsers = h ? h.indptr.length - 1 : rc ? rc.indptr.length - 1 : 0;
  if (h && rc && rc.indptr.length - 1 !== nUsers)
    throw new ValidationError('history and recent must cover the same users');
  const hnnz = h ? h.indices.length : 0;
  const rnnz = rc ? rc.indices.length : 0;
  const flags = (h ? FLAG_HISTORY : 0) | (rc ? FLAG_RECENT : 0);
  const words =
    HEADER_WORDS +
    nItems +
    1 +
    2 * nnz +
    (h ? nUsers + 1 + 2 * hnnz : 0) +
    (rc ? nUsers + 1 + 2 * rnnz : 0) +
    params.length;
  const buf = new ArrayBuffer(words * 4);
  new Uint32Array(buf, 0, HEADER_WORDS).set([
    MAGIC,
    FORMAT_VERSION,
    parts.kind,
    nItems,
    nnz,
    nUsers,
    hnnz,
    rnnz,
    params.length,
    flags,
  ]);
  let off = HEADER_WORDS * 4;
  const put = (a: Int32Array | Float32Array) => {
    new Uint8Array(buf, off, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    off += a.byteLength;
  };
  put(lists.indptr);
  put(lists.indices);
  put(lists.sims);
  for (const part of [h, rc]) {
    if (!part) continue;
    put(part.indptr);
    put(part.indices);
    put(part.weights);
  }
  put(params);
  return new Uint8Array(buf);
}

/** Parses the binary layout written by serializeNeighbourModel; throws DataError on corrupt input. */
export function deserializeNeighbourModel(bytes: Uint8Array, expectedKind?: number): NeighbourModelParts {
  const fail = (msg: string): never => {
    throw new DataError(`invalid model bytes: ${msg}`, 'model');
  };
  if (bytes.byteLength < HEADER_WORDS * 4 || bytes.byteLength % 4 !== 0) fail('bad length');
  // copy into an aligned buffer: the input may be a view at any offset (e.g. a Node Buffer slice)
  const buf = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buf).set(bytes);
  const [magic, version, kind, nItems, nnz, nUsers, hnnz, rnnz, nParams, flags] = new Uint32Array(
    buf,
    0,
    HEADER_WORDS,
  );
  if (magic !== MAGIC) fail('bad magic');
  if (version !== FORMAT_VERSION) fail(`unsupported version ${version}`);
  if (expectedKind !== undefined && kind !== expectedKind)
    fail(`model kind ${kind}, expected ${expectedKind}`);
  const hasH = (flags & FLAG_HISTORY) !== 0;
  const hasR = (flags & FLAG_RECENT) !== 0;
  const words =
    HEADER_WORDS +
    nItems +
    1 +
    2 * nnz +
    (hasH ? nUsers + 1 + 2 * hnnz : 0) +
    (hasR ? nUsers + 1 + 2 * rnnz : 0) +
    nParams;
  if (words * 4 !== bytes.byteLength) fail('length does not match header');
  let off = HEADER_WORDS * 4;
  const i32 = (n: number) => {
    const a = new Int32Array(buf, off, n);
    off += n * 4;
    return a;
  };
  const f32 = (n: number) => {
    const a = new Float32Array(buf, off, n);
    off += n * 4;
    return a;
  };
  const checkCsr = (indptr: Int32Array, indices: Int32Array, what: string) => {
    if (indptr[0] !== 0 || indptr[indptr.length - 1] !== indices.length)
      fail(`${what} indptr does not match nnz`);
    for (let r = 0; r + 1 < indptr.length; r++)
      if (indptr[r + 1] < indptr[r]) fail(`${what} indptr not monotone`);
    for (let p = 0; p < indices.length; p++)
      if (indices[p] < 0 || indices[p] >= nItems) fail(`${what} index out of range`);
  };
  const lists = { indptr: i32(nItems + 1), indices: i32(nnz), sims: f32(nnz) };
  checkCsr(lists.indptr, lists.indices, 'neighbour');
  const user = (m: number, what: string): UserHistory => {
    const part = { indptr: i32(nUsers + 1), indices: i32(m), weights: f32(m) };
    checkCsr(part.indptr, part.indices, what);
    return part;
  };
  const history = hasH ? user(hnnz, 'history') : undefined;
  const recent = hasR ? user(rnnz, 'recent') : undefined;
  return { kind, nItems, lists, history, recent, params: f32(nParams) };
}

/** Compact binary form of a CF model (neighbour lists, optionally user histories). */
export function serializeItemCf(model: ItemCfModel, options: SerializeOptions = {}): Uint8Array {
  return serializeNeighbourModel({
    kind: MODEL_KIND.cf,
    nItems: model.nItems,
    lists: model.lists,
    history: options.includeHistory === false ? undefined : model.history,
  });
}

/** Restores a CF model; `itemIds` must be the training dataset's item ids in index order. */
export function deserializeItemCf(bytes: Uint8Array, itemIds: IdIndex | readonly string[]): ItemCfModel {
  const d = deserializeNeighbourModel(bytes, MODEL_KIND.cf);
  return new ItemCfModel(itemIds, d.lists, d.history);
}

/** Dense scores of `model` for a history (item indices with optional weights): Σ weight × sim. */
export function scoreUser(
  model: NeighbourModel,
  itemIndices: ArrayLike<number>,
  weights?: ArrayLike<number>,
): Float32Array {
  return model.scoreUser(itemIndices, weights);
}

/** Top-n for an arbitrary list of recent items (request time); the items themselves and `exclude` are left out. */
export function recommendFromItems(
  model: NeighbourModel,
  itemIndices: ArrayLike<number>,
  weights: ArrayLike<number> | undefined,
  n: number,
  exclude?: ArrayLike<number>,
): TopN {
  return model.recommendFromItems(itemIndices, weights, n, exclude);
}
