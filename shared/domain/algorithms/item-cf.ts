import { buildUserItemCsr, transposeCsr } from '../data/csr.js';
import type { CsrMatrix, Dataset, IdIndex } from '../data/dataset.js';
import { ValidationError } from '../errors.js';
import { interactionWeight } from './event-weights.js';
import {
  deserializeNeighbourModel,
  MODEL_KIND,
  type NeighbourLists,
  NeighbourListsBuilder,
  NeighbourModel,
  type SerializeOptions,
  serializeNeighbourModel,
  sortRowsDesc,
  type UserHistory,
} from './neighbour-model.js';
import type { Recommender, TopN } from './recommender.js';
import { TopSelector } from './top-k.js';

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

export { interactionWeight, resolveEventWeights } from './event-weights.js';
export {
  deserializeNeighbourModel,
  MODEL_KIND,
  NeighbourListsBuilder,
  type NeighbourLists,
  NeighbourModel,
  type NeighbourModelParts,
  type SerializeOptions,
  serializeNeighbourModel,
  sortRowsDesc,
  type UserHistory,
} from './neighbour-model.js';
export { TopSelector } from './top-k.js';

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
 * Catalogues up to this size take the symmetric kernel: an items × items Float32Array Gram matrix
 * (4096² × 4 B = 64 MiB at most), half the multiply-adds of the per-item kernel. Larger ones go item by item
 * (memory O(interactions + items·K)).
 */
export const SYMMETRIC_MAX_ITEMS = 4096;

/** Which kernel computes the dot products: by catalogue size, or one forced (tests compare the two). */
export type NeighbourKernel = 'auto' | 'symmetric' | 'per-item';

/**
 * The item × item Gram matrix (zero diagonal) of an item × user CSR and its transpose (rows sorted): entry
 * i·n + j sums w(u, i) · w(u, j) over the users of i in ascending order, as the per-item kernel does. Row i
 * accumulates only j > i (each user's cursor skips the items before i), then the triangle is mirrored.
 */
function symmetricGram(itemUsers: CsrMatrix, userItems: CsrMatrix): Float32Array {
  const n = itemUsers.rows;
  const g = new Float32Array(n * n);
  const { indptr: iuPtr, indices: iuIdx, data: iuVal } = itemUsers;
  const { indptr: uiPtr, indices: uiIdx, data: uiVal } = userItems;
  // cursor[u] is the position of item i in u's row when row i is reached (rows are processed in order)
  const cursor = uiPtr.slice(0, userItems.rows);
  for (let i = 0; i < n; i++) {
    const base = i * n;
    for (let p = iuPtr[i]; p < iuPtr[i + 1]; p++) {
      const u = iuIdx[p];
      const x = iuVal[p];
      const end = uiPtr[u + 1];
      for (let q = ++cursor[u]; q < end; q++) g[base + uiIdx[q]] += x * uiVal[q];
    }
  }
  // mirror in tiles so both sides of a tile stay in cache
  const T = 64;
  for (let bi = 0; bi < n; bi += T)
    for (let bj = bi; bj < n; bj += T) {
      const ie = Math.min(bi + T, n);
      const je = Math.min(bj + T, n);
      for (let i = bi; i < ie; i++)
        for (let j = Math.max(bj, i + 1); j < je; j++) g[j * n + i] = g[i * n + j];
    }
  return g;
}

/**
 * Computes the top-K item-item similarity lists from the item × user matrix (interaction weights).
 * Catalogues up to SYMMETRIC_MAX_ITEMS accumulate the Gram matrix's upper triangle (Σ_users |items(u)|²/2
 * multiply-adds); larger ones work item by item with a reused Float32Array accumulator and a touched list:
 * cost Σ_users |items(u)|², memory O(interactions + items·K). Both give the same lists; `kernel` forces one.
 */
export function computeItemNeighbours(
  itemUsersRaw: CsrMatrix,
  options: ItemCfOptions = {},
  kernel: NeighbourKernel = 'auto',
): NeighbourLists {
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
  const sel = new TopSelector(k);
  const shrink = o.shrink;
  const exponent = o.simExponent;
  const sharpen = exponent !== 1;
  const symmetric = kernel === 'symmetric' || (kernel === 'auto' && nItems <= SYMMETRIC_MAX_ITEMS);
  if (symmetric) {
    // dot(i, j) = dot(j, i): half the multiply-adds; the same products summed in the same user order as the
    // per-item kernel below, so the same lists
    const g = symmetricGram(itemUsers, userItems);
    for (let i = 0; i < nItems; i++) {
      sel.reset(k);
      const ri = rowNorm[i];
      const base = i * nItems;
      for (let j = 0; j < nItems; j++) {
        const d = g[base + j];
        if (d === 0 || j === i) continue;
        let s = d / (ri * colNorm[j] + shrink);
        if (sharpen) s = s ** exponent;
        if (s > 0) sel.push(j, s);
      }
      out.appendRow(i, sel);
    }
  } else {
    const acc = new Float32Array(nItems);
    const mark = new Int32Array(nItems).fill(-1);
    const touched = new Int32Array(nItems);
    const { indptr: iuPtr, indices: iuIdx, data: iuVal } = itemUsers;
    const { indptr: uiPtr, indices: uiIdx, data: uiVal } = userItems;
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
          let s = acc[j] / (ri * colNorm[j] + shrink);
          if (sharpen) s = s ** exponent;
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
        let s = acc[j] / (ri * colNorm[j] + shrink);
        if (sharpen) s = s ** exponent;
        if (s > 0) sel.push(j, s);
      }
      out.appendRow(i, sel);
    }
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
