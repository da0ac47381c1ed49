import * as z from 'zod/mini';
import { buildUserItemCsr, transposeCsr } from '../data/csr.js';
import { type Dataset, IdIndex } from '../data/dataset.js';
import { DataError, ValidationError } from '../errors.js';
import { Rng } from '../random.js';
import { interactionWeight } from './item-cf.js';
import { resolveOptions } from './model-options.js';
import { eventWeightsSchema } from './option-schemas.js';
import type { RecommendOptions, Recommender, TopN } from './recommender.js';
import { topK } from './top-k.js';

/**
 * Implicit ALS (Hu, Koren & Volinsky 2008) with the conjugate-gradient solver of Takács et al. (2011):
 * every observed pair has confidence 1 + α·r and preference 1, every other pair confidence 1 and
 * preference 0. Each half-step solves one small f × f system per user (per item) by a few warm-started CG
 * steps, touching only that user's interactions plus the shared f × f Gram YᵀY, so a sweep costs
 * O(nnz·f + (users + items)·f²) and memory is (users + items)·f floats: it scales to 100k+ items, and a
 * half-step shards by user (item) ranges. Defaults: the best of a random search on a validation split
 * carved from ML-100K's training split (bench/models.ts, seed 42); the tuner re-chooses them per shop.
 */
export const ialsOptionsSchema = z.strictObject({
  /** Latent dimensions. */
  factors: z.optional(z.int().check(z.minimum(1), z.maximum(512))),
  /** Alternating sweeps (users then items). */
  iterations: z.optional(z.int().check(z.minimum(1), z.maximum(200))),
  /** L2 regularisation on every factor vector. */
  reg: z.optional(z.number().check(z.minimum(0))),
  /** Confidence slope: an observed pair weighs 1 + alpha·r. */
  alpha: z.optional(z.number().check(z.minimum(0))),
  /** CG steps per vector and sweep (warm-started, so 2-4 suffice). */
  cgSteps: z.optional(z.int().check(z.minimum(1), z.maximum(50))),
  /** Standard deviation of the initial factors. */
  initStd: z.optional(z.number().check(z.positive())),
  eventWeights: z.optional(eventWeightsSchema),
  halfLifeDays: z.optional(z.number().check(z.minimum(0))),
});

export type IalsOptions = z.infer<typeof ialsOptionsSchema>;

export const DEFAULT_IALS_OPTIONS = {
  factors: 24,
  iterations: 15,
  reg: 13,
  alpha: 1.5,
  cgSteps: 3,
  initStd: 0.01,
  halfLifeDays: 0,
};

/** The key hyperparameters and their ranges, for the tuner (the registry's searchSpace). */
export const IALS_SEARCH_SPACE = {
  factors: { kind: 'int', min: 16, max: 128, log: true },
  reg: { kind: 'float', min: 0.5, max: 500, log: true },
  alpha: { kind: 'float', min: 0.5, max: 50, log: true },
} as const;

/** A trained iALS model: user and item factors (row-major Float32) and the users' seen items. */
export class IalsModel implements Recommender {
  readonly name = 'ials';
  readonly items: IdIndex;
  private readonly scores: Float32Array;
  private readonly skip: Uint8Array;
  private gram?: Float64Array;

  constructor(
    items: IdIndex | readonly string[],
    readonly factors: number,
    readonly userFactors: Float32Array,
    readonly itemFactors: Float32Array,
    /** Seen items per user (CSR), excluded from lists. */
    readonly seen: { readonly indptr: Int32Array; readonly indices: Int32Array },
    /** Regularisation and confidence slope, kept for fold-in of unseen histories. */
    readonly reg: number,
    readonly alpha: number,
  ) {
    this.items = items instanceof IdIndex ? items : indexOf(items);
    if (itemFactors.length !== this.items.size * factors)
      throw new ValidationError(
        `model has ${itemFactors.length / factors} items but ${this.items.size} item ids were given`,
        'itemIds',
      );
    this.scores = new Float32Array(this.items.size);
    this.skip = new Uint8Array(this.items.size);
  }

  get nItems(): number {
    return this.items.size;
  }

  get userCount(): number {
    return this.seen.indptr.length - 1;
  }

  /** Top-n by x_u · y_j over the whole catalogue (O(items·f)), training items excluded unless includeSeen. */
  recommend(user: number, n: number, options?: RecommendOptions): TopN {
    if (!(user >= 0 && user < this.userCount) || n <= 0) return emptyTopN();
    const s = this.seen.indptr[user];
    const e = this.seen.indptr[user + 1];
    if (s === e) return emptyTopN();
    const f = this.factors;
    return this.rank(
      this.userFactors.subarray(user * f, user * f + f),
      n,
      this.seen.indices.subarray(s, e),
      options?.includeSeen === true,
    );
  }

  /**
   * Top-n for an arbitrary history (a visitor's recent items) by folding it in: one regularised
   * least-squares solve for its vector against the fixed item factors. The items themselves and `exclude`
   * are left out.
   */
  recommendFromItems(
    itemIndices: ArrayLike<number>,
    weights: ArrayLike<number> | undefined,
    n: number,
    exclude?: ArrayLike<number>,
  ): TopN {
    const f = this.factors;
    const idx: number[] = [];
    const val: number[] = [];
    for (let h = 0; h < itemIndices.length; h++) {
      const i = itemIndices[h];
      if (i >= 0 && i < this.nItems) {
        idx.push(i);
        val.push(weights ? weights[h] : 1);
      }
    }
    if (idx.length === 0 || n <= 0) return emptyTopN();
    this.gram ??= gramOf(this.itemFactors, this.nItems, f);
    const x = new Float32Array(f);
    const solver = new CgSolver(f);
    solver.solve(
      this.gram,
      this.itemFactors,
      Int32Array.from(idx),
      Float32Array.from(val),
      this.reg,
      this.alpha,
      x,
      0,
      f * 4,
    );
    const skipped = exclude ? [...idx, ...Array.from(exclude)] : idx;
    return this.rank(x, n, skipped, false);
  }

  private rank(x: Float32Array, n: number, seen: ArrayLike<number>, includeSeen: boolean): TopN {
    const f = this.factors;
    const y = this.itemFactors;
    const scores = this.scores;
    for (let j = 0, o = 0; j < this.nItems; j++, o += f) {
      let s = 0;
      for (let d = 0; d < f; d++) s += x[d] * y[o + d];
      scores[j] = s;
    }
    const skip = this.skip;
    if (!includeSeen)
      for (let h = 0; h < seen.length; h++) if (seen[h] >= 0 && seen[h] < this.nItems) skip[seen[h]] = 1;
    const out = topK(scores, n, skip);
    if (!includeSeen)
      for (let h = 0; h < seen.length; h++) if (seen[h] >= 0 && seen[h] < this.nItems) skip[seen[h]] = 0;
    return out;
  }
}

/** Trains iALS on a dataset (options validated strictly; see ialsOptionsSchema). */
export function trainIals(dataset: Dataset, options: IalsOptions = {}, seed = 42): IalsModel {
  const o = resolveOptions('ials', ialsOptionsSchema, options, DEFAULT_IALS_OPTIONS);
  const weight = interactionWeight(dataset, o.eventWeights, o.halfLifeDays);
  const ui = buildUserItemCsr(dataset, weight);
  const iu = transposeCsr(ui);
  const f = o.factors;
  const rng = new Rng(seed);
  const xu = new Float32Array(ui.rows * f);
  const yi = new Float32Array(ui.cols * f);
  for (let p = 0; p < yi.length; p++) yi[p] = rng.normal() * o.initStd;
  for (let p = 0; p < xu.length; p++) xu[p] = rng.normal() * o.initStd;
  const solver = new CgSolver(f);
  for (let it = 0; it < o.iterations; it++) {
    sweep(solver, xu, ui.rows, yi, ui.cols, ui.indptr, ui.indices, ui.data, o.reg, o.alpha, o.cgSteps);
    sweep(solver, yi, iu.rows, xu, iu.cols, iu.indptr, iu.indices, iu.data, o.reg, o.alpha, o.cgSteps);
  }
  return new IalsModel(dataset.items, f, xu, yi, { indptr: ui.indptr, indices: ui.indices }, o.reg, o.alpha);
}

/**
 * One half-step: updates every row vector of `target` (rows × f) against the fixed `other` (cols × f),
 * rows [from, to) only when sharded.
 */
export function sweep(
  solver: CgSolver,
  target: Float32Array,
  rows: number,
  other: Float32Array,
  cols: number,
  indptr: Int32Array,
  indices: Int32Array,
  data: Float32Array,
  reg: number,
  alpha: number,
  steps: number,
  from = 0,
  to = rows,
): void {
  const f = solver.f;
  const gram = gramOf(other, cols, f);
  for (let r = from; r < to; r++) {
    const s = indptr[r];
    const e = indptr[r + 1];
    if (s === e) {
      target.fill(0, r * f, r * f + f);
      continue;
    }
    solver.solve(gram, other, indices.subarray(s, e), data.subarray(s, e), reg, alpha, target, r * f, steps);
  }
}

/** YᵀY (f × f, Float64) of row-major factors. */
function gramOf(y: Float32Array, n: number, f: number): Float64Array {
  const g = new Float64Array(f * f);
  for (let j = 0, o = 0; j < n; j++, o += f)
    for (let a = 0; a < f; a++) {
      const ya = y[o + a];
      if (ya === 0) continue;
      const ra = a * f;
      for (let b = a; b < f; b++) g[ra + b] += ya * y[o + b];
    }
  for (let a = 0; a < f; a++) for (let b = 0; b < a; b++) g[a * f + b] = g[b * f + a];
  return g;
}

/** Warm-started conjugate gradient for (YᵀY + reg·I + Σ α·r·y yᵀ) x = Σ (1 + α·r) y, with reused buffers. */
export class CgSolver {
  private readonly r: Float64Array;
  private readonly p: Float64Array;
  private readonly ap: Float64Array;
  private readonly x: Float64Array;

  constructor(readonly f: number) {
    this.r = new Float64Array(f);
    this.p = new Float64Array(f);
    this.ap = new Float64Array(f);
    this.x = new Float64Array(f);
  }

  solve(
    gram: Float64Array,
    y: Float32Array,
    idx: ArrayLike<number>,
    val: ArrayLike<number>,
    reg: number,
    alpha: number,
    out: Float32Array,
    at: number,
    steps: number,
  ): void {
    const { f, r, p, ap, x } = this;
    for (let d = 0; d < f; d++) x[d] = out[at + d];
    // r = b − A·x, with b = Σ (1 + α·r_i) y_i
    this.applyA(gram, y, idx, val, reg, alpha, x, r);
    for (let d = 0; d < f; d++) r[d] = -r[d];
    for (let h = 0; h < idx.length; h++) {
      const o = idx[h] * f;
      const c = 1 + alpha * val[h];
      for (let d = 0; d < f; d++) r[d] += c * y[o + d];
    }
    let rs = 0;
    for (let d = 0; d < f; d++) {
      p[d] = r[d];
      rs += r[d] * r[d];
    }
    for (let s = 0; s < steps && rs > 1e-20; s++) {
      this.applyA(gram, y, idx, val, reg, alpha, p, ap);
      let pap = 0;
      for (let d = 0; d < f; d++) pap += p[d] * ap[d];
      if (!(pap > 0)) break;
      const a = rs / pap;
      let rsNew = 0;
      for (let d = 0; d < f; d++) {
        x[d] += a * p[d];
        r[d] -= a * ap[d];
        rsNew += r[d] * r[d];
      }
      const beta = rsNew / rs;
      for (let d = 0; d < f; d++) p[d] = r[d] + beta * p[d];
      rs = rsNew;
    }
    for (let d = 0; d < f; d++) out[at + d] = x[d];
  }

  /** out = (YᵀY + reg·I)·v + Σ α·r_i (y_i·v) y_i. */
  private applyA(
    gram: Float64Array,
    y: Float32Array,
    idx: ArrayLike<number>,
    val: ArrayLike<number>,
    reg: number,
    alpha: number,
    v: Float64Array,
    out: Float64Array,
  ): void {
    const f = this.f;
    for (let a = 0; a < f; a++) {
      let s = reg * v[a];
      const ra = a * f;
      for (let b = 0; b < f; b++) s += gram[ra + b] * v[b];
      out[a] = s;
    }
    for (let h = 0; h < idx.length; h++) {
      const o = idx[h] * f;
      let dot = 0;
      for (let d = 0; d < f; d++) dot += y[o + d] * v[d];
      const c = alpha * val[h] * dot;
      for (let d = 0; d < f; d++) out[d] += c * y[o + d];
    }
  }
}

// ---- serialisation -------------------------------------------------------------------------------

const MAGIC = 0x4f53_4941; // "OSIA"
const FORMAT_VERSION = 1;
const HEADER_WORDS = 8;

/**
 * Little-endian binary layout, 4-byte words: header [magic, version, nUsers, nItems, factors, seenNnz,
 * reg (f32), alpha (f32)], then user factors, item factors, seen indptr, seen indices.
 */
export function serializeIals(model: IalsModel): Uint8Array {
  const nUsers = model.userCount;
  const nItems = model.nItems;
  const f = model.factors;
  const nnz = model.seen.indices.length;
  const words = HEADER_WORDS + (nUsers + nItems) * f + nUsers + 1 + nnz;
  const buf = new ArrayBuffer(words * 4);
  new Uint32Array(buf, 0, 6).set([MAGIC, FORMAT_VERSION, nUsers, nItems, f, nnz]);
  new Float32Array(buf, 24, 2).set([model.reg, model.alpha]);
  let off = HEADER_WORDS * 4;
  for (const a of [model.userFactors, model.itemFactors, model.seen.indptr, model.seen.indices]) {
    new Uint8Array(buf, off, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    off += a.byteLength;
  }
  return new Uint8Array(buf);
}

/** Restores an iALS model; `itemIds` are the training items in index order. Throws DataError on corrupt bytes. */
export function deserializeIals(bytes: Uint8Array, itemIds: IdIndex | readonly string[]): IalsModel {
  const fail = (msg: string): never => {
    throw new DataError(`invalid ials model bytes: ${msg}`, 'model');
  };
  if (bytes.byteLength < HEADER_WORDS * 4 || bytes.byteLength % 4 !== 0) fail('bad length');
  const buf = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buf).set(bytes);
  const [magic, version, nUsers, nItems, f, nnz] = new Uint32Array(buf, 0, 6);
  if (magic !== MAGIC) fail('bad magic');
  if (version !== FORMAT_VERSION) fail(`unsupported version ${version}`);
  const [reg, alpha] = new Float32Array(buf, 24, 2);
  if (HEADER_WORDS + (nUsers + nItems) * f + nUsers + 1 + nnz !== bytes.byteLength / 4)
    fail('length does not match header');
  let off = HEADER_WORDS * 4;
  const take = <T>(make: (b: ArrayBuffer, o: number, n: number) => T, n: number): T => {
    const a = make(buf, off, n);
    off += n * 4;
    return a;
  };
  const f32 = (b: ArrayBuffer, o: number, n: number) => new Float32Array(b, o, n);
  const i32 = (b: ArrayBuffer, o: number, n: number) => new Int32Array(b, o, n);
  const xu = take(f32, nUsers * f);
  const yi = take(f32, nItems * f);
  const indptr = take(i32, nUsers + 1);
  const indices = take(i32, nnz);
  if (indptr[0] !== 0 || indptr[nUsers] !== nnz) fail('seen indptr does not match nnz');
  for (let u = 0; u < nUsers; u++) if (indptr[u + 1] < indptr[u]) fail('seen indptr not monotone');
  for (let p = 0; p < nnz; p++) if (indices[p] < 0 || indices[p] >= nItems) fail('seen index out of range');
  return new IalsModel(itemIds, f, xu, yi, { indptr, indices }, reg, alpha);
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
