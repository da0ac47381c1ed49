/** Negative sampling and the SGD machinery (optimizer state, the per-epoch loss passes). */
import { indexInSorted } from '../../data/csr.js';
import type { Rng } from '../../random.js';
import { accumulateRows, type FeatureRows, type FmParams, itemSide } from '../fm-model.js';
import type { Resolved } from './options.js';
import { bprWeight, warpWeight, wmrbWeight } from './losses.js';
import type { Split } from './positives.js';

/** Draws negative items uniformly or mixed with a popularity^α distribution (CDF + binary search). */
export class NegativeSampler {
  private readonly cdf?: Float64Array;
  constructor(
    private readonly nItems: number,
    private readonly mix: number,
    counts: Int32Array,
    exponent: number,
  ) {
    if (mix > 0) {
      const cdf = new Float64Array(nItems);
      let acc = 0;
      for (let i = 0; i < nItems; i++) {
        acc += (counts[i] + 1) ** exponent;
        cdf[i] = acc;
      }
      this.cdf = cdf;
    }
  }
  draw(rng: Rng): number {
    const cdf = this.cdf;
    if (cdf === undefined || rng.next() >= this.mix) return rng.int(this.nItems);
    const x = rng.next() * cdf[cdf.length - 1];
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** The order an epoch visits the training pairs in. */
export type EpochVisit =
  /** pair by pair in a shuffled global order (indices into the train CSR; pairUser maps them to users) */
  | { readonly kind: 'pairs'; readonly pairUser: Int32Array; readonly order: Int32Array }
  /** user by user in a shuffled order, each user's pairs one mini-batch */
  | { readonly kind: 'users'; readonly userOrder: Int32Array };

export const B1 = 0.9;

export const B2 = 0.999;

/** One SGD pass machinery: parameters, optimizer state and scratch vectors. */
export class FmSgd {
  private readonly k: number;
  private readonly uvec: Float64Array;
  private readonly pvec: Float64Array;
  private readonly nvec: Float64Array;
  private readonly grad: Float64Array;
  private readonly gUser: Float64Array;
  private readonly gw: Float32Array;
  private readonly gv: Float32Array;
  private readonly mw?: Float32Array;
  private readonly mv?: Float32Array;
  private readonly steps?: Int32Array;
  lr = 0;

  constructor(
    readonly params: FmParams,
    public users: FeatureRows,
    private readonly items: FeatureRows,
    private readonly o: Resolved,
  ) {
    const k = params.k;
    this.k = k;
    this.uvec = new Float64Array(k);
    this.pvec = new Float64Array(k);
    this.nvec = new Float64Array(k);
    this.grad = new Float64Array(k);
    this.gUser = new Float64Array(k);
    const nf = params.w.length;
    if (o.optimizer === 'adagrad') {
      // accumulators start at 1 so the first steps are lr-sized (as in LightFM)
      this.gw = new Float32Array(nf).fill(1);
      this.gv = new Float32Array(nf * k).fill(1);
    } else {
      this.gw = new Float32Array(nf);
      this.gv = new Float32Array(nf * k);
      this.mw = new Float32Array(nf);
      this.mv = new Float32Array(nf * k);
      this.steps = new Int32Array(nf);
    }
  }

  /** Item-side score of item i given the current user vector; leaves I_i in `out`. */
  private itemScore(i: number, out: Float64Array): number {
    const side = itemSide(this.params, this.items, i, out);
    const u = this.uvec;
    let dot = 0;
    for (let c = 0; c < this.k; c++) dot += u[c] * out[c];
    return side + dot;
  }

  /**
   * One epoch, the single loop behind every loss: visit each group of pairs (one pair, or one user's pairs),
   * compute the user-side vector once, let the loss score the group's positives against its negatives,
   * and step the parameters. Pairwise losses (WARP, BPR) step each pair's items at once and the user side
   * per pair ('pairs') or once per user ('users': a mini-batch, what keeps long user-side rows such as
   * history features affordable); WARP-batch (WMRB) scores one shared pool of negatives per user and steps
   * everything at the user's end.
   */
  epoch(split: Split, visit: EpochVisit, sampler: NegativeSampler, rng: Rng): void {
    const { uvec, gUser } = this;
    const us = this.users;
    const pooled = this.o.loss === 'warp-batch';
    const byPair = visit.kind === 'pairs';
    const groups = byPair ? visit.order.length : visit.userOrder.length;
    for (let g = 0; g < groups; g++) {
      let u: number;
      let pairs: Int32Array;
      if (byPair) {
        const pair = visit.order[g];
        u = visit.pairUser[pair];
        this.onePair[0] = pair;
        pairs = this.onePair;
      } else {
        u = visit.userOrder[g];
        // a pool's positives go in CSR order; pairwise mini-batches shuffle theirs
        pairs = this.userPairs(split, u, !pooled, rng);
        if (pairs.length === 0) continue;
      }
      if (pooled && this.drawPool(split, u, sampler, rng) === 0) continue;
      uvec.fill(0);
      accumulateRows(this.params, us.index, us.weight, us.ptr[u], us.ptr[u + 1], uvec);
      if (!byPair) gUser.fill(0);
      const stepped = pooled
        ? this.poolGroup(split, pairs, rng)
        : this.pairGroup(split, u, pairs, byPair, sampler, rng);
      if (stepped && !byPair) this.stepUser(u);
    }
  }

  private readonly onePair = new Int32Array(1);
  private pairScratch = new Int32Array(16);

  /** The train-CSR positions of u's pairs, shuffled when asked (a view of a reused buffer). */
  private userPairs(split: Split, u: number, shuffle: boolean, rng: Rng): Int32Array {
    const s = split.trainPtr[u];
    const n = split.trainPtr[u + 1] - s;
    if (n === 0) return this.pairScratch.subarray(0, 0);
    if (this.pairScratch.length < n) this.pairScratch = new Int32Array(n * 2);
    const pairs = this.pairScratch.subarray(0, n);
    for (let t = 0; t < n; t++) pairs[t] = s + t;
    return shuffle ? rng.shuffle(pairs) : pairs;
  }

  /**
   * Pairwise losses: each positive draws its negative (pickNegative), its two items are stepped at once;
   * the user side is stepped with the pair (`immediate`) or summed into gUser. Returns whether any pair
   * stepped.
   */
  private pairGroup(
    split: Split,
    u: number,
    pairs: Int32Array,
    immediate: boolean,
    sampler: NegativeSampler,
    rng: Rng,
  ): boolean {
    const { k, pvec, nvec, gUser } = this;
    const { trainIdx } = split;
    let any = false;
    for (let t = 0; t < pairs.length; t++) {
      const pair = pairs[t];
      const i = trainIdx[pair];
      const pos = this.itemScore(i, pvec);
      const j = this.pickNegative(split, pair, u, i, pos, sampler, rng);
      if (j < 0) continue;
      const mult = this.mult;
      if (immediate) {
        this.update(u, i, j, mult);
        continue;
      }
      for (let c = 0; c < k; c++) gUser[c] += mult * (pvec[c] - nvec[c]);
      this.updateItem(i, mult, pvec);
      this.updateItem(j, -mult, nvec);
      any = true;
    }
    return any;
  }

  // WARP-batch scratch: the user's pool of negatives, their item vectors, scores and gradient coefficients
  private pool = new Int32Array(0);
  private poolVec = new Float64Array(0);
  private poolScore = new Float64Array(0);
  private poolCoef = new Float64Array(0);
  private poolMark = new Int32Array(0);
  private poolSize = 0;
  private posVec = new Float64Array(0);
  private posScore = new Float64Array(0);
  private posCoef = new Float64Array(0);

  /**
   * Draws u's pool: distinct non-positives, with bounded attempts so users who saw nearly everything
   * terminate. Returns its size.
   */
  private drawPool(split: Split, u: number, sampler: NegativeSampler, rng: Rng): number {
    const { k, o } = this;
    const nItems = this.items.ptr.length - 1;
    const Z = Math.min(o.poolSize, nItems);
    if (this.pool.length !== Z) {
      this.pool = new Int32Array(Z);
      this.poolVec = new Float64Array(Z * k);
      this.poolScore = new Float64Array(Z);
      this.poolCoef = new Float64Array(Z);
    }
    if (this.poolMark.length !== nItems) this.poolMark = new Int32Array(nItems).fill(-1);
    const { pool, poolMark: mark } = this;
    const { trainPtr, trainIdx } = split;
    const s = trainPtr[u];
    const e = trainPtr[u + 1];
    let z = 0;
    for (let a = 0; a < 4 * Z && z < Z; a++) {
      const j = sampler.draw(rng);
      if (mark[j] === u || indexInSorted(trainIdx, s, e, j) >= 0) continue;
      mark[j] = u;
      pool[z++] = j;
    }
    for (let t = 0; t < z; t++) mark[pool[t]] = -1;
    this.poolSize = z;
    return z;
  }

  /**
   * WARP-batch (WMRB) for one user: the pool is scored once and shared by all its positives. A positive's
   * rank is estimated from the share of the pool violating the margin (N·v/Z) and weighted log(rank) as in
   * WARP; its gradient goes to one violator drawn at random (poolUpdates 'one') or is spread evenly over
   * them ('all'). All gradients are applied at the end (a true mini-batch), so a user costs
   * O((positives + Z)·k) item work instead of up to maxSampled item scores per positive. The user side is
   * left summed in gUser. Returns whether anything stepped.
   */
  private poolGroup(split: Split, pairs: Int32Array, rng: Rng): boolean {
    const { k, gUser, o } = this;
    const { trainIdx, trainWeight } = split;
    const { pool, poolVec, poolScore, poolCoef } = this;
    const z = this.poolSize;
    const n = pairs.length;
    const nItems = this.items.ptr.length - 1;
    const tmp = this.nvec;
    for (let t = 0; t < z; t++) {
      poolScore[t] = this.itemScore(pool[t], tmp);
      poolVec.set(tmp, t * k);
      poolCoef[t] = 0;
    }
    if (this.posScore.length < n) {
      this.posVec = new Float64Array(2 * n * k);
      this.posScore = new Float64Array(2 * n);
      this.posCoef = new Float64Array(2 * n);
    }
    const { posVec, posScore, posCoef } = this;
    const nNeg = nItems - n;
    let any = false;
    for (let t = 0; t < n; t++) {
      const pair = pairs[t];
      posScore[t] = this.itemScore(trainIdx[pair], tmp);
      posVec.set(tmp, t * k);
      const limit = posScore[t] - o.margin;
      let v = 0;
      for (let j = 0; j < z; j++) if (poolScore[j] > limit) v++;
      posCoef[t] = 0;
      if (v === 0) continue;
      const mult = trainWeight[pair] * wmrbWeight(nNeg, v, z);
      if (!(mult > 0)) continue;
      posCoef[t] = mult;
      if (o.poolUpdates === 'all') {
        const share = mult / v;
        for (let j = 0; j < z; j++) if (poolScore[j] > limit) poolCoef[j] -= share;
      } else {
        // one violator drawn uniformly takes the whole gradient, as WARP's first violator would
        let r = rng.int(v);
        for (let j = 0; j < z; j++) {
          if (poolScore[j] > limit && r-- === 0) {
            poolCoef[j] -= mult;
            break;
          }
        }
      }
      any = true;
    }
    if (!any) return false;
    // user-side gradient Σ coef·I over positives and pool, from the scores' item vectors
    for (let t = 0; t < n; t++) {
      const c0 = posCoef[t];
      if (c0 === 0) continue;
      const b = t * k;
      for (let c = 0; c < k; c++) gUser[c] += c0 * posVec[b + c];
    }
    for (let j = 0; j < z; j++) {
      const c0 = poolCoef[j];
      if (c0 === 0) continue;
      const b = j * k;
      for (let c = 0; c < k; c++) gUser[c] += c0 * poolVec[b + c];
    }
    for (let t = 0; t < n; t++) {
      if (posCoef[t] === 0) continue;
      this.updateItem(trainIdx[pairs[t]], posCoef[t], posVec.subarray(t * k, t * k + k));
    }
    for (let j = 0; j < z; j++) {
      if (poolCoef[j] === 0) continue;
      this.updateItem(pool[j], poolCoef[j], poolVec.subarray(j * k, j * k + k));
    }
    return true;
  }

  /** Applies the user-side gradient summed in `gUser` to every feature row of user u. */
  private stepUser(u: number): void {
    const { k, grad, gUser } = this;
    const us = this.users;
    for (let p = us.ptr[u]; p < us.ptr[u + 1]; p++) {
      const x = us.weight[p];
      for (let c = 0; c < k; c++) grad[c] = x * gUser[c];
      this.stepRow(us.index[p], grad);
    }
  }

  /** Loss multiplier of the last pickNegative. */
  private mult = 0;

  /**
   * Draws a negative for the pair (WARP: until one violates the margin; BPR: any non-positive), scores it
   * into `nvec` and sets `mult`; returns -1 when no update should happen.
   */
  private pickNegative(
    split: Split,
    pair: number,
    u: number,
    i: number,
    pos: number,
    sampler: NegativeSampler,
    rng: Rng,
  ): number {
    const { o, nvec } = this;
    const { trainPtr, trainIdx, trainWeight } = split;
    const rowS = trainPtr[u];
    const rowE = trainPtr[u + 1];
    if (o.loss === 'warp') {
      const nItems = this.items.ptr.length - 1;
      for (let tries = 1; tries <= o.maxSampled; tries++) {
        const j = sampler.draw(rng);
        if (j === i) continue;
        const neg = this.itemScore(j, nvec);
        if (neg > pos - o.margin) {
          if (indexInSorted(trainIdx, rowS, rowE, j) >= 0) continue;
          this.mult = trainWeight[pair] * warpWeight(nItems, tries);
          return this.mult > 0 ? j : -1;
        }
      }
      return -1;
    }
    for (let tries = 0; tries < 10; tries++) {
      const j = sampler.draw(rng);
      if (j === i || indexInSorted(trainIdx, rowS, rowE, j) >= 0) continue;
      const neg = this.itemScore(j, nvec);
      this.mult = trainWeight[pair] * bprWeight(pos, neg);
      return j;
    }
    return -1;
  }

  /** Gradient ascent on mult·(s(u,i) − s(u,j)) using the vectors computed by the last itemScore calls. */
  private update(u: number, i: number, j: number, mult: number): void {
    const { k, pvec, nvec, grad } = this;
    const us = this.users;
    for (let p = us.ptr[u]; p < us.ptr[u + 1]; p++) {
      const x = us.weight[p] * mult;
      for (let c = 0; c < k; c++) grad[c] = x * (pvec[c] - nvec[c]);
      this.stepRow(us.index[p], grad);
    }
    this.updateItem(i, mult, pvec);
    this.updateItem(j, -mult, nvec);
  }

  private updateItem(i: number, mult: number, ivec: Float64Array): void {
    const { k, uvec, grad } = this;
    const { v } = this.params;
    const its = this.items;
    for (let p = its.ptr[i]; p < its.ptr[i + 1]; p++) {
      const f = its.index[p];
      const x = its.weight[p];
      const xm = x * mult;
      const base = f * k;
      for (let c = 0; c < k; c++) grad[c] = xm * (uvec[c] + ivec[c] - x * v[base + c]);
      this.stepW(f, xm);
      this.stepRow(f, grad);
    }
  }

  private stepW(f: number, g0: number): void {
    const w = this.params.w;
    const g = g0 - this.o.biasL2 * w[f];
    const gw = this.gw;
    const mw = this.mw;
    if (mw) {
      const t = this.steps![f] + 1;
      mw[f] = B1 * mw[f] + (1 - B1) * g;
      gw[f] = B2 * gw[f] + (1 - B2) * g * g;
      const c1 = this.lr / (1 - B1 ** t);
      const c2 = 1 / (1 - B2 ** t);
      w[f] += (c1 * mw[f]) / (Math.sqrt(gw[f] * c2) + 1e-8);
    } else {
      gw[f] += g * g;
      w[f] += (this.lr * g) / Math.sqrt(gw[f]);
    }
  }

  /** Applies the ascent gradient `grad` (+ L2) to factor row f with Adagrad or lazy Adam. */
  private stepRow(f: number, grad: Float64Array): void {
    const { k, gv, mv, lr } = this;
    const v = this.params.v;
    const l2 = this.o.l2;
    const base = f * k;
    if (mv) {
      // lazy Adam: bias correction from the row's own update count
      const t = ++this.steps![f];
      const c1 = lr / (1 - B1 ** t);
      const c2 = 1 / (1 - B2 ** t);
      for (let c = 0; c < k; c++) {
        const idx = base + c;
        const g = grad[c] - l2 * v[idx];
        mv[idx] = B1 * mv[idx] + (1 - B1) * g;
        gv[idx] = B2 * gv[idx] + (1 - B2) * g * g;
        v[idx] += (c1 * mv[idx]) / (Math.sqrt(gv[idx] * c2) + 1e-8);
      }
    } else {
      for (let c = 0; c < k; c++) {
        const idx = base + c;
        const g = grad[c] - l2 * v[idx];
        const a = gv[idx] + g * g;
        gv[idx] = a;
        v[idx] += (lr * g) / Math.sqrt(a);
      }
    }
  }
}
