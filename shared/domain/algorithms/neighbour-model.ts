/**
 * The neighbour-model kernel shared by item CF and the session model: sparse item → neighbour lists (CSR),
 * scoring a history by pushing its weights through them, and the compact binary form both store. Memory
 * grows with items × K and the histories, never with items × items.
 */
import { IdIndex } from '../data/dataset.js';
import { DataError, ValidationError } from '../errors.js';
import type { RecommendOptions, TopN } from './recommender.js';
import { TopSelector } from './top-k.js';

/** Sparse neighbour lists: row i holds the items that i pushes score to, best first. */
export interface NeighbourLists {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly sims: Float32Array;
}

/** Per-user item history (CSR user → item with weights), used to score and to exclude seen items. */
export interface UserHistory {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly weights: Float32Array;
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
