/**
 * Factorization Machine for implicit-feedback ranking over one-hot user id, item id, user attributes and
 * item attributes, trained with WARP-batch (WMRB: one shared negative pool per user), WARP or BPR,
 * Adagrad or Adam, L2 regularisation and early stopping on a validation split carved from the training
 * data. By default the user side also holds the user's training items as "history" features (SVD++/FISM
 * style), which lifted ML-100K precision@10 by about 0.01; those runs train in per-user mini-batches. By
 * default trainFm averages two members trained in parallel worker threads into one FM (fm-ensemble.ts).
 * Deterministic for a seed.
 */
import { buildUserItemCsr, indexInSorted } from '../data/csr.js';
import type { CategoricalColumn, Dataset } from '../data/dataset.js';
import { ValidationError } from '../errors.js';
import { Rng } from '../random.js';
import {
  accumulateRows,
  computeItemSide,
  type FeatureRows,
  type FmAttributeBlock,
  type FmLayout,
  type FmLoss,
  FmModel,
  type FmParams,
  itemSide,
  scoreAllItems,
} from './fm-model.js';
import { type FmEnsembleOptions, memberCount, memberOptions, trainFmEnsemble } from './fm-ensemble.js';
import { resolveEventWeights } from './event-weights.js';
import { DEFAULT_EVENT_WEIGHTS } from './recommender.js';
import { topK } from './top-k.js';

export { FmModel } from './fm-model.js';
export type {
  FeatureRows,
  FmAttributeBlock,
  FmLayout,
  FmLoss,
  FmParams,
  FmTrainingInfo,
} from './fm-model.js';
export type { FmEnsembleOptions } from './fm-ensemble.js';
export { mergeFmModels } from './fm-ensemble.js';
export { deserializeFm, serializeFm } from './fm-serialize.js';

export interface FmOptions {
  /** Latent factors k (default 64). */
  readonly factors?: number;
  /**
   * Ranking loss (default 'warp-batch'). 'warp-batch' (WMRB, Liu & Natarajan 2017) scores one shared pool
   * of `poolSize` negatives per user mini-batch instead of sampling up to maxSampled negatives per positive
   * as 'warp' does: same validation precision on ML-100K at about half the CPU, which pays for ensembles.
   */
  readonly loss?: FmLoss;
  /** warp-batch: negatives drawn once per user and shared by all its positives (default 256). */
  readonly poolSize?: number;
  /**
   * warp-batch: each positive's gradient goes to 'one' violator drawn at random (default; WARP-like) or to
   * 'all' its violators evenly (WMRB proper; lower ML-100K validation, more item updates).
   */
  readonly poolUpdates?: 'all' | 'one';
  /** Optimizer (default 'adagrad'). */
  readonly optimizer?: 'adagrad' | 'adam';
  /** Base learning rate (default 0.05 for Adagrad, 0.005 for Adam). */
  readonly learningRate?: number;
  /** Learning rate of epoch e (0-based) is learningRate / (1 + decay·e) (default 0.1). */
  readonly learningRateDecay?: number;
  /** L2 penalty on the factor rows and weights touched by an update (default 3e-4). */
  readonly l2?: number;
  /** L2 penalty on the linear weights w (item biases); default l2. */
  readonly biasL2?: number;
  /** WARP: negatives drawn per positive before giving up (default 50). */
  readonly maxSampled?: number;
  /** WARP margin (default 1). */
  readonly margin?: number;
  /** Maximum epochs (default 40). */
  readonly epochs?: number;
  /** Stop after this many epochs without validation improvement (default 4). */
  readonly patience?: number;
  /** Smallest validation gain that restarts the patience count (default 0: any gain). */
  readonly minImprovement?: number;
  /** Fraction of each user's training items held out for validation; 0 disables early stopping (default 0.1). */
  readonly validationFraction?: number;
  /** Which items are held out: 'random' (matches a random split) or the most 'recent' (default 'random'). */
  readonly validationHoldout?: 'random' | 'recent';
  /** Early-stopping metric (default 'precision' = precision@10). */
  readonly validationMetric?: 'precision' | 'auc';
  /** At most this many validation users are scored per epoch (default 2000). */
  readonly validationUsers?: number;
  /** After early stopping, retrain on all training data for the best epoch count (default false). */
  readonly refit?: boolean;
  /** Use dataset.userAttributes / itemAttributes as features (default true). */
  readonly userAttributes?: boolean;
  readonly itemAttributes?: boolean;
  /**
   * Weight of each attribute column (split evenly among a multi-valued field's values; default 0.3, so the
   * id features dominate for users and items with history — best on the ML-100K validation split).
   */
  readonly attributeWeight?: number;
  /** Fraction of negatives drawn ∝ popularity^popularityExponent instead of uniformly (default 0). */
  readonly popularityNegatives?: number;
  readonly popularityExponent?: number;
  /** Sample weights by event type (case-insensitive; default DEFAULT_EVENT_WEIGHTS, unknown types 1). */
  readonly eventWeights?: Readonly<Record<string, number>>;
  /** Standard deviation of the initial factors (default 0.1 / √k). */
  readonly initStd?: number;
  /**
   * After early stopping, train the kept parameters this many more epochs on all training data, validation
   * pairs included (default 4; ignored with refit).
   */
  readonly finetuneEpochs?: number;
  /**
   * Add the user's training items as user-side features (weight historyWeight/√|N(u)|, SVD++/FISM style),
   * trained in per-user mini-batches (default true; false trains per pair with id + attribute features only).
   */
  readonly historyFeatures?: boolean;
  /** Total weight of the history features (default 0.5). */
  readonly historyWeight?: number;
  /** Evaluate and keep an exponential moving average of the parameters across epochs (0 = off, default). */
  readonly parameterEma?: number;
  readonly seed?: number;
}

interface Resolved {
  k: number;
  loss: FmLoss;
  poolSize: number;
  poolUpdates: 'all' | 'one';
  optimizer: 'adagrad' | 'adam';
  lr: number;
  decay: number;
  l2: number;
  biasL2: number;
  maxSampled: number;
  margin: number;
  epochs: number;
  patience: number;
  minImprovement: number;
  validationFraction: number;
  validationHoldout: 'random' | 'recent';
  validationMetric: 'precision' | 'auc';
  validationUsers: number;
  refit: boolean;
  userAttributes: boolean;
  itemAttributes: boolean;
  attributeWeight: number;
  popularityNegatives: number;
  popularityExponent: number;
  eventWeights: Readonly<Record<string, number>>;
  initStd: number;
  parameterEma: number;
  finetuneEpochs: number;
  historyFeatures: boolean;
  historyWeight: number;
  seed: number;
}

/*
 * Defaults re-checked on ML-100K (bench/fm.ts; mean best validation P@10 over split seeds 42/1/2/3, base
 * 0.1283): maxSampled 100 → 0.1274, 300 → 0.1268 (and +50% CPU); factors 96 → 0.1264; l2 1e-4 / 6e-4 /
 * 1e-3 → ≤0.1283 / 0.1276 / 0.1275; biasL2 0 → 0.1277; learningRateDecay 0.05 / 0.2 → 0.1286 (2 seeds) /
 * 0.1280; historyWeight 0.35 / 1 → 0.1263 / 0.1268 (2 seeds); maxSampled 30 → 0.1256. None better; most
 * within validation noise (≈±0.002). Test P@10 means of those runs ranged 0.3665–0.3703, also noise-level.
 *
 * Loss and ensembles (bench/fm.ts, split seed → best validation P@10 / test P@10 / train s on 2 cores):
 *   loss (one member, seed 42)               | split 1               | split 3
 *   warp (old default)                        | — / 0.3686 / 25.6     | — / 0.3591 / ≈31
 *   warp-batch pool 256, all violators        | 0.1261 / 0.3674 / 15.5| —
 *   warp-batch pool 1024, all violators       | 0.1296 / 0.3671 / 38.3| —
 *   warp-batch pool 256, one violator         | 0.1298 / 0.3692 / 24* | — / 0.3664 / 13*
 *   warp-batch pool 1024, one violator        | 0.1284 / 0.3672 / 20* | —
 *   … one violator, patience 2                | —                     | 0.1234 / 0.3599 / 12
 *   … one violator, learningRate 0.1          | —                     | 0.1183 / 0.3456 / 8
 *   … one violator, no item attributes        | 0.1287 / 0.3577 / 14† | 0.1240 / 0.3569 / 11†
 *   (All but the first row: two runs sharing the 2 cores, ≈1.5–2× a lone run; † CPU s.)
 *   Averaged members (bench/tmp experiment, seeds 42/7/9, warp-batch/one): split 3 members
 *   0.3664/0.3629/0.3673 → mean of 2 0.3717, of 3 0.3744; split 1 members 0.3692/0.3628/0.3585 → 0.3701,
 *   0.3722. WARP members averaged the same way: split 1 → 0.3729 (2), 0.3715 (3); split 3 → 0.3685, 0.3700.
 *   Defaults now warp-batch, pool 256, one violator, 2 members (worker threads, merged into one FM):
 *   split 42/1/2/3 test P@10 0.3752/0.3734/0.3744/0.3738, mean member validation 0.1267/0.1314/0.1286/
 *   0.1296 (warp: mean 0.1283); 17–22 s wall when the machine is idle, 26–38 s CPU.
 *   minImprovement 0.001 (patience restarts only on a gain ≥ 0.001) halves the time but lowers member
 *   validation (2 members, splits 1/2: validation 0.1285/0.1261, test 0.3702/0.3756, 11–12 s wall); with 3
 *   members splits 1/42/2/3 test 0.3706/0.3792/0.3800/0.3750, 20–29 s wall, 31–44 s CPU; with 4 members
 *   splits 1/3 0.3730/0.3750, 22–23 s wall, 42 s CPU. Kept 0 (better validation, less CPU).
 *   Rejected with 2 members: patience 3 + epochs 24 (split 1 0.3686, split 2 0.3734), pool 128 (validation
 *   0.1277/0.1250, test 0.3627/0.3667 on splits 1/2).
 */
function resolve(o: FmOptions = {}): Resolved {
  const k = o.factors ?? 64;
  const optimizer = o.optimizer ?? 'adagrad';
  const r: Resolved = {
    k,
    loss: o.loss ?? 'warp-batch',
    poolSize: o.poolSize ?? 256,
    poolUpdates: o.poolUpdates ?? 'one',
    optimizer,
    lr: o.learningRate ?? (optimizer === 'adam' ? 0.005 : 0.05),
    decay: o.learningRateDecay ?? 0.1,
    l2: o.l2 ?? 3e-4,
    biasL2: o.biasL2 ?? o.l2 ?? 3e-4,
    maxSampled: o.maxSampled ?? 50,
    margin: o.margin ?? 1,
    epochs: o.epochs ?? 40,
    patience: o.patience ?? 4,
    minImprovement: o.minImprovement ?? 0,
    validationFraction: o.validationFraction ?? 0.1,
    validationHoldout: o.validationHoldout ?? 'random',
    validationMetric: o.validationMetric ?? 'precision',
    validationUsers: o.validationUsers ?? 2000,
    refit: o.refit ?? false,
    userAttributes: o.userAttributes ?? true,
    itemAttributes: o.itemAttributes ?? true,
    attributeWeight: o.attributeWeight ?? 0.3,
    popularityNegatives: o.popularityNegatives ?? 0,
    popularityExponent: o.popularityExponent ?? 0.75,
    eventWeights: o.eventWeights ?? DEFAULT_EVENT_WEIGHTS,
    initStd: o.initStd ?? 0.1 / Math.sqrt(k),
    parameterEma: o.parameterEma ?? 0,
    finetuneEpochs: o.finetuneEpochs ?? 4,
    historyFeatures: o.historyFeatures ?? true,
    historyWeight: o.historyWeight ?? 0.5,
    seed: o.seed ?? 42,
  };
  if (!Number.isInteger(r.k) || r.k < 1)
    throw new ValidationError('factors must be a positive integer', 'factors');
  if (!Number.isInteger(r.epochs) || r.epochs < 1) throw new ValidationError('epochs must be ≥ 1', 'epochs');
  if (!Number.isInteger(r.maxSampled) || r.maxSampled < 1)
    throw new ValidationError('maxSampled must be ≥ 1', 'maxSampled');
  if (!(r.lr > 0)) throw new ValidationError('learningRate must be > 0', 'learningRate');
  if (!(r.l2 >= 0)) throw new ValidationError('l2 must be ≥ 0', 'l2');
  if (!(r.biasL2 >= 0)) throw new ValidationError('biasL2 must be ≥ 0', 'biasL2');
  if (!(r.minImprovement >= 0)) throw new ValidationError('minImprovement must be ≥ 0', 'minImprovement');
  if (!(r.validationFraction >= 0 && r.validationFraction < 1))
    throw new ValidationError('validationFraction must be in [0, 1)', 'validationFraction');
  if (!(r.popularityNegatives >= 0 && r.popularityNegatives <= 1))
    throw new ValidationError('popularityNegatives must be in [0, 1]', 'popularityNegatives');
  if (!(r.parameterEma >= 0 && r.parameterEma < 1))
    throw new ValidationError('parameterEma must be in [0, 1)', 'parameterEma');
  if (!Number.isInteger(r.poolSize) || r.poolSize < 1)
    throw new ValidationError('poolSize must be a positive integer', 'poolSize');
  if (r.loss !== 'warp' && r.loss !== 'bpr' && r.loss !== 'warp-batch')
    throw new ValidationError(`unknown loss ${String(r.loss)}`, 'loss');
  if (r.optimizer !== 'adagrad' && r.optimizer !== 'adam')
    throw new ValidationError(`unknown optimizer ${String(r.optimizer)}`, 'optimizer');
  return r;
}

/** Throws the ValidationError trainFm would throw for `options` (checked before any worker starts). */
export function validateFmOptions(options?: FmOptions): void {
  resolve(options);
}

/** Unique (user, item) positives with a sample weight, plus each pair's latest timestamp. */
interface Positives {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly weight: Float32Array;
  readonly latest: Float64Array;
}

function collectPositives(dataset: Dataset, eventWeights: Readonly<Record<string, number>>): Positives {
  const typeWeight = resolveEventWeights(dataset.eventTypes, eventWeights);
  const inter = dataset.interactions;
  const csr = buildUserItemCsr(dataset, (r) => typeWeight[inter.eventType[r]]);
  const latest = new Float64Array(csr.indices.length).fill(Number.NEGATIVE_INFINITY);
  for (let r = 0; r < inter.length; r++) {
    const p = findInRow(csr.indptr, csr.indices, inter.user[r], inter.item[r]);
    if (p >= 0 && inter.timestamp[r] > latest[p]) latest[p] = inter.timestamp[r];
  }
  // Repeated events add up, but capped so a heavy repeat does not dominate; normalised to mean 1 so the
  // learning rate means the same whatever the weights.
  const weight = new Float32Array(csr.data.length);
  let sum = 0;
  for (let p = 0; p < weight.length; p++) {
    weight[p] = Math.min(csr.data[p], 10);
    sum += weight[p];
  }
  const mean = weight.length > 0 ? sum / weight.length : 1;
  if (mean > 0) for (let p = 0; p < weight.length; p++) weight[p] /= mean;
  return { indptr: csr.indptr, indices: csr.indices, weight, latest };
}

/** Position of `item` in the sorted row of `user`, or -1. */
function findInRow(indptr: Int32Array, indices: Int32Array, user: number, item: number): number {
  return indexInSorted(indices, indptr[user], indptr[user + 1], item);
}

function attributeBlocks(cols: readonly CategoricalColumn[], start: number): FmAttributeBlock[] {
  const blocks: FmAttributeBlock[] = [];
  let offset = start;
  for (const c of cols) {
    blocks.push({ name: c.name, dict: c.dict, offset });
    offset += c.dict.size;
  }
  return blocks;
}

/** Feature rows: id feature (when `hasId[e]`) plus every attribute column's values. */
function featureRows(
  n: number,
  idBase: number,
  hasId: Uint8Array,
  cols: readonly CategoricalColumn[],
  blocks: readonly FmAttributeBlock[],
  attributeWeight: number,
): FeatureRows {
  const ptr = new Int32Array(n + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let e = 0; e < n; e++) {
    if (hasId[e]) {
      index.push(idBase + e);
      weight.push(1);
    }
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c];
      if (e + 1 >= col.offsets.length) continue;
      const s = col.offsets[e];
      const t = col.offsets[e + 1];
      for (let p = s; p < t; p++) {
        index.push(blocks[c].offset + col.values[p]);
        weight.push(attributeWeight / (t - s));
      }
    }
    ptr[e + 1] = index.length;
  }
  return { ptr, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}

/** Training and validation pairs carved from the positives. */
interface Split {
  readonly trainPtr: Int32Array;
  readonly trainIdx: Int32Array;
  readonly trainWeight: Float32Array;
  readonly valPtr: Int32Array;
  readonly valIdx: Int32Array;
}

function splitPositives(pos: Positives, o: Resolved, rng: Rng): Split {
  const nUsers = pos.indptr.length - 1;
  const hold = new Uint8Array(pos.indices.length);
  if (o.validationFraction > 0) {
    for (let u = 0; u < nUsers; u++) {
      const s = pos.indptr[u];
      const len = pos.indptr[u + 1] - s;
      if (len < 3) continue; // too little history to spare any
      const h = Math.max(1, Math.round(len * o.validationFraction));
      const order = Int32Array.from({ length: len }, (_, j) => s + j);
      if (o.validationHoldout === 'recent') order.sort((a, b) => pos.latest[b] - pos.latest[a] || a - b);
      else rng.shuffle(order);
      for (let j = 0; j < h; j++) hold[order[j]] = 1;
    }
  }
  const trainPtr = new Int32Array(nUsers + 1);
  const valPtr = new Int32Array(nUsers + 1);
  for (let u = 0; u < nUsers; u++) {
    let tr = 0;
    let va = 0;
    for (let p = pos.indptr[u]; p < pos.indptr[u + 1]; p++) {
      if (hold[p]) va++;
      else tr++;
    }
    trainPtr[u + 1] = trainPtr[u] + tr;
    valPtr[u + 1] = valPtr[u] + va;
  }
  const trainIdx = new Int32Array(trainPtr[nUsers]);
  const trainWeight = new Float32Array(trainPtr[nUsers]);
  const valIdx = new Int32Array(valPtr[nUsers]);
  let t = 0;
  let v = 0;
  for (let p = 0; p < pos.indices.length; p++) {
    if (hold[p]) valIdx[v++] = pos.indices[p];
    else {
      trainIdx[t] = pos.indices[p];
      trainWeight[t++] = pos.weight[p];
    }
  }
  return { trainPtr, trainIdx, trainWeight, valPtr, valIdx };
}

/** Draws negative items uniformly or mixed with a popularity^α distribution (CDF + binary search). */
class NegativeSampler {
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

/** One SGD pass machinery: parameters, optimizer state and scratch vectors. */
class FmSgd {
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

  /** Runs one epoch over the pairs in `order` (indices into the train CSR). */
  epoch(split: Split, pairUser: Int32Array, order: Int32Array, sampler: NegativeSampler, rng: Rng): void {
    const { uvec, pvec } = this;
    const { trainIdx } = split;
    const us = this.users;
    for (let q = 0; q < order.length; q++) {
      const pair = order[q];
      const u = pairUser[pair];
      const i = trainIdx[pair];
      uvec.fill(0);
      accumulateRows(this.params, us.index, us.weight, us.ptr[u], us.ptr[u + 1], uvec);
      const pos = this.itemScore(i, pvec);
      const j = this.pickNegative(split, pair, u, i, pos, sampler, rng);
      if (j >= 0) this.update(u, i, j, this.mult);
    }
  }

  /**
   * One epoch in per-user mini-batches: the user-side vector is computed once per user, item rows are
   * updated per pair and the summed user-side gradient is applied once at the end of the user (what keeps
   * long user-side rows such as history features affordable).
   */
  epochByUser(split: Split, userOrder: Int32Array, sampler: NegativeSampler, rng: Rng): void {
    const { k, uvec, pvec, nvec } = this;
    const gUser = this.gUser;
    const { trainPtr, trainIdx } = split;
    const us = this.users;
    let pairs = new Int32Array(16);
    for (let q = 0; q < userOrder.length; q++) {
      const u = userOrder[q];
      const s = trainPtr[u];
      const n = trainPtr[u + 1] - s;
      if (n === 0) continue;
      if (pairs.length < n) pairs = new Int32Array(n * 2);
      for (let t = 0; t < n; t++) pairs[t] = s + t;
      const mine = rng.shuffle(pairs.subarray(0, n));
      uvec.fill(0);
      accumulateRows(this.params, us.index, us.weight, us.ptr[u], us.ptr[u + 1], uvec);
      gUser.fill(0);
      let any = false;
      for (let t = 0; t < n; t++) {
        const pair = mine[t];
        const i = trainIdx[pair];
        const pos = this.itemScore(i, pvec);
        const j = this.pickNegative(split, pair, u, i, pos, sampler, rng);
        if (j < 0) continue;
        const mult = this.mult;
        for (let c = 0; c < k; c++) gUser[c] += mult * (pvec[c] - nvec[c]);
        this.updateItem(i, mult, pvec);
        this.updateItem(j, -mult, nvec);
        any = true;
      }
      if (!any) continue;
      this.stepUser(u);
    }
  }

  /**
   * One epoch of the 'warp-batch' loss (WMRB): per user one pool of negatives (none of the user's training
   * items) is scored once and shared by all its positives. A positive's rank is estimated from the share of
   * the pool violating the margin (N·v/Z) and weighted log(rank) as in WARP; its gradient goes to one
   * violator drawn at random (poolUpdates 'one') or is spread evenly over them ('all'). All gradients of a user are applied at its end (a true mini-batch), so a user costs
   * O((positives + Z)·k) item work instead of up to maxSampled item scores per positive.
   */
  epochBatch(split: Split, userOrder: Int32Array, sampler: NegativeSampler, rng: Rng): void {
    const { k, uvec, gUser, o } = this;
    const { trainPtr, trainIdx, trainWeight } = split;
    const us = this.users;
    const nItems = this.items.ptr.length - 1;
    const Z = Math.min(o.poolSize, nItems);
    const pool = new Int32Array(Z);
    const poolVec = new Float64Array(Z * k);
    const poolScore = new Float64Array(Z);
    const poolCoef = new Float64Array(Z);
    const mark = new Int32Array(nItems).fill(-1);
    let posVec = new Float64Array(64 * k);
    let posScore = new Float64Array(64);
    let posCoef = new Float64Array(64);
    const tmp = this.nvec;
    for (let q = 0; q < userOrder.length; q++) {
      const u = userOrder[q];
      const s = trainPtr[u];
      const n = trainPtr[u + 1] - s;
      if (n === 0) continue;
      // distinct pool of non-positives; bounded attempts so users who saw nearly everything terminate
      let z = 0;
      for (let a = 0; a < 4 * Z && z < Z; a++) {
        const j = sampler.draw(rng);
        if (mark[j] === u || indexInSorted(trainIdx, s, s + n, j) >= 0) continue;
        mark[j] = u;
        pool[z++] = j;
      }
      if (z === 0) continue;
      for (let t = 0; t < z; t++) mark[pool[t]] = -1;
      uvec.fill(0);
      accumulateRows(this.params, us.index, us.weight, us.ptr[u], us.ptr[u + 1], uvec);
      for (let t = 0; t < z; t++) {
        poolScore[t] = this.itemScore(pool[t], tmp);
        poolVec.set(tmp, t * k);
        poolCoef[t] = 0;
      }
      if (posScore.length < n) {
        posVec = new Float64Array(2 * n * k);
        posScore = new Float64Array(2 * n);
        posCoef = new Float64Array(2 * n);
      }
      const nNeg = nItems - n;
      let any = false;
      for (let t = 0; t < n; t++) {
        posScore[t] = this.itemScore(trainIdx[s + t], tmp);
        posVec.set(tmp, t * k);
        const limit = posScore[t] - o.margin;
        let v = 0;
        for (let j = 0; j < z; j++) if (poolScore[j] > limit) v++;
        posCoef[t] = 0;
        if (v === 0) continue;
        const rank = Math.floor((nNeg * v) / z);
        const mult = trainWeight[s + t] * Math.min(Math.log(Math.max(rank, 1)), 10);
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
      if (!any) continue;
      // user-side gradient Σ coef·I over positives and pool, from the scores' item vectors
      gUser.fill(0);
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
        this.updateItem(trainIdx[s + t], posCoef[t], posVec.subarray(t * k, t * k + k));
      }
      for (let j = 0; j < z; j++) {
        if (poolCoef[j] === 0) continue;
        this.updateItem(pool[j], poolCoef[j], poolVec.subarray(j * k, j * k + k));
      }
      this.stepUser(u);
    }
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
          // WARP: rank estimate ⌊(N−1)/tries⌋, loss weight log(rank) (capped like LightFM)
          const rank = Math.floor((nItems - 1) / tries);
          this.mult = trainWeight[pair] * Math.min(Math.log(Math.max(rank, 1)), 10);
          return this.mult > 0 ? j : -1;
        }
      }
      return -1;
    }
    for (let tries = 0; tries < 10; tries++) {
      const j = sampler.draw(rng);
      if (j === i || indexInSorted(trainIdx, rowS, rowE, j) >= 0) continue;
      const neg = this.itemScore(j, nvec);
      // d/d(diff) of log σ(diff) = σ(−diff)
      this.mult = trainWeight[pair] / (1 + Math.exp(pos - neg));
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

const B1 = 0.9;
const B2 = 0.999;

/** Validation users (those with held-out items), subsampled deterministically to at most `max`. */
function validationUsers(split: Split, max: number, rng: Rng): Int32Array {
  const users: number[] = [];
  for (let u = 0; u + 1 < split.valPtr.length; u++) if (split.valPtr[u + 1] > split.valPtr[u]) users.push(u);
  const arr = Int32Array.from(users);
  if (arr.length <= max) return arr;
  return rng.shuffle(arr).slice(0, max).sort();
}

/** Mean precision@10 or AUC over validation users, excluding training positives from the ranking. */
function evaluate(
  params: FmParams,
  users: FeatureRows,
  items: FeatureRows,
  split: Split,
  valUsers: Int32Array,
  metric: 'precision' | 'auc',
): number {
  const nItems = items.ptr.length - 1;
  const k = params.k;
  const itemVec = new Float32Array(nItems * k);
  const itemBias = new Float32Array(nItems);
  computeItemSide(params, items, nItems, itemVec, itemBias);
  const skip = new Uint8Array(nItems);
  const uvec = new Float64Array(k);
  let total = 0;
  for (let q = 0; q < valUsers.length; q++) {
    const u = valUsers[q];
    uvec.fill(0);
    const bias = accumulateRows(params, users.index, users.weight, users.ptr[u], users.ptr[u + 1], uvec);
    const scores = scoreAllItems(uvec, bias, itemVec, itemBias, k);
    for (let p = split.trainPtr[u]; p < split.trainPtr[u + 1]; p++) skip[split.trainIdx[p]] = 1;
    const vs = split.valPtr[u];
    const ve = split.valPtr[u + 1];
    if (metric === 'precision') {
      const top = topK(scores, 10, skip);
      let hits = 0;
      for (let r = 0; r < top.items.length; r++)
        if (indexInSorted(split.valIdx, vs, ve, top.items[r]) >= 0) hits++;
      total += hits / 10;
    } else {
      for (let p = vs; p < ve; p++) skip[split.valIdx[p]] = 2;
      let negatives = 0;
      for (let i = 0; i < nItems; i++) if (skip[i] === 0) negatives++;
      let correct = 0;
      for (let p = vs; p < ve; p++) {
        const s = scores[split.valIdx[p]];
        for (let i = 0; i < nItems; i++)
          if (skip[i] === 0) correct += scores[i] < s ? 1 : scores[i] === s ? 0.5 : 0;
      }
      total += negatives > 0 ? correct / (negatives * (ve - vs)) : 0;
      for (let p = vs; p < ve; p++) skip[split.valIdx[p]] = 0;
    }
    for (let p = split.trainPtr[u]; p < split.trainPtr[u + 1]; p++) skip[split.trainIdx[p]] = 0;
  }
  return valUsers.length > 0 ? total / valUsers.length : 0;
}

/** avg ← ema·avg + (1 − ema)·cur. */
function blend(avg: Float32Array, cur: Float32Array, ema: number): void {
  for (let p = 0; p < avg.length; p++) avg[p] = ema * avg[p] + (1 - ema) * cur[p];
}

function initParams(features: number, o: Resolved): FmParams {
  const rng = new Rng(o.seed ^ 0x5eed);
  const v = new Float32Array(features * o.k);
  for (let p = 0; p < v.length; p++) v[p] = rng.normal() * o.initStd;
  return { k: o.k, w0: new Float32Array(1), w: new Float32Array(features), v };
}

/** Runs up to `epochs` epochs; with validation keeps the best parameters (early stopping). */
function runTraining(
  features: number,
  users: FeatureRows,
  items: FeatureRows,
  split: Split,
  counts: Int32Array,
  o: Resolved,
  epochs: number,
  validate: boolean,
  finetune?: { readonly split: Split; readonly epochs: number; readonly users: FeatureRows },
): { params: FmParams; epochs: number; bestEpoch: number; best: number; history: number[] } {
  const params = initParams(features, o);
  const sgd = new FmSgd(params, users, items, o);
  const nItems = items.ptr.length - 1;
  const rng = new Rng(o.seed);
  const sampler = new NegativeSampler(nItems, o.popularityNegatives, counts, o.popularityExponent);
  const nUsers = split.trainPtr.length - 1;
  const pairUser = new Int32Array(split.trainIdx.length);
  for (let u = 0; u < nUsers; u++) pairUser.fill(u, split.trainPtr[u], split.trainPtr[u + 1]);
  const order = Int32Array.from({ length: pairUser.length }, (_, j) => j);
  const userOrder = Int32Array.from({ length: nUsers }, (_, u) => u);
  const runEpoch = (sp: Split, pu: Int32Array, ord: Int32Array) => {
    if (o.loss === 'warp-batch') sgd.epochBatch(sp, rng.shuffle(userOrder), sampler, rng);
    else if (o.historyFeatures) sgd.epochByUser(sp, rng.shuffle(userOrder), sampler, rng);
    else sgd.epoch(sp, pu, rng.shuffle(ord), sampler, rng);
  };
  const valUsers = validate
    ? validationUsers(split, o.validationUsers, new Rng(o.seed ^ 0x7a11d))
    : new Int32Array();
  let best = Number.NEGATIVE_INFINITY;
  let bestEpoch = 0;
  let lastGain = 0;
  let bestW: Float32Array | undefined;
  let bestV: Float32Array | undefined;
  const history: number[] = [];
  // Optional exponential moving average of the parameters across epochs: smooths SGD noise, and the
  // averaged parameters are the ones evaluated and returned.
  const ema = o.parameterEma;
  const avg: FmParams | undefined =
    ema > 0 ? { k: params.k, w0: params.w0, w: params.w.slice(), v: params.v.slice() } : undefined;
  const current = avg ?? params;
  let e = 0;
  while (e < epochs) {
    sgd.lr = o.lr / (1 + o.decay * e);
    runEpoch(split, pairUser, order);
    e++;
    if (avg) {
      blend(avg.w, params.w, ema);
      blend(avg.v, params.v, ema);
    }
    if (!validate) continue;
    const m = evaluate(current, users, items, split, valUsers, o.validationMetric);
    history.push(m);
    if (m > best + 1e-6) {
      // patience restarts only on a real gain; smaller gains still update the kept parameters
      if (m >= best + o.minImprovement) lastGain = e;
      best = m;
      bestEpoch = e;
      bestW = current.w.slice();
      bestV = current.v.slice();
    }
    if (e - lastGain >= o.patience) break;
  }
  if (validate && bestW && bestV) {
    params.w.set(bestW);
    params.v.set(bestV);
  } else if (avg) {
    params.w.set(avg.w);
    params.v.set(avg.v);
  }
  if (finetune && finetune.epochs > 0) {
    // continue from the kept parameters on all training data (validation pairs included), much cheaper
    // than a refit from scratch; the learning-rate schedule carries on from the best epoch
    const all = finetune.split;
    const allUser = new Int32Array(all.trainIdx.length);
    for (let u = 0; u < nUsers; u++) allUser.fill(u, all.trainPtr[u], all.trainPtr[u + 1]);
    const allOrder = Int32Array.from({ length: allUser.length }, (_, j) => j);
    sgd.users = finetune.users;
    for (let t = 0; t < finetune.epochs; t++) {
      sgd.lr = o.lr / (1 + o.decay * (bestEpoch + t));
      runEpoch(all, allUser, allOrder);
    }
  }
  return {
    params,
    epochs: e,
    bestEpoch: validate ? bestEpoch : e,
    best: validate ? best : Number.NaN,
    history,
  };
}

/**
 * Trains an FM recommender on `dataset` (whose interactions are the training data). Users and items keep
 * the dataset's indices; users/items without interactions get no id feature, so they are scored from
 * attributes alone. With `members` > 1 it trains that many FMs (seeds seed, seed+1, …; in worker threads
 * when `threads` > 1 and workers are available) and returns their exact average as one FM (fm-ensemble.ts).
 */
export function trainFm(dataset: Dataset, options?: FmEnsembleOptions): FmModel {
  if (memberCount(options) > 1) return trainFmEnsemble(dataset, options);
  return trainFmMember(dataset, memberOptions(options, 0));
}

/** Trains one FM (no ensemble); see trainFm. */
export function trainFmMember(dataset: Dataset, options?: FmOptions): FmModel {
  const started = performance.now();
  const o = resolve(options);
  const nUsers = dataset.users.size;
  const nItems = dataset.items.size;
  if (nItems === 0) throw new ValidationError('dataset has no items', 'dataset');
  const pos = collectPositives(dataset, o.eventWeights);

  const userCols = o.userAttributes ? dataset.userAttributes : [];
  const itemCols = o.itemAttributes ? dataset.itemAttributes : [];
  const userBlocks = attributeBlocks(userCols, nUsers);
  const userEnd =
    userBlocks.length > 0 ? userBlocks[userBlocks.length - 1].offset + userCols.at(-1)!.dict.size : nUsers;
  // optional block of "history item" features between the user attributes and the item ids
  const historyBase = userEnd;
  const itemBase = o.historyFeatures ? historyBase + nItems : userEnd;
  const itemBlocks = attributeBlocks(itemCols, itemBase + nItems);
  const features =
    itemBlocks.length > 0
      ? itemBlocks[itemBlocks.length - 1].offset + itemCols.at(-1)!.dict.size
      : itemBase + nItems;

  const userHasId = new Uint8Array(nUsers);
  const counts = new Int32Array(nItems);
  for (let u = 0; u < nUsers; u++) if (pos.indptr[u + 1] > pos.indptr[u]) userHasId[u] = 1;
  for (let p = 0; p < pos.indices.length; p++) counts[pos.indices[p]]++;
  const itemHasId = new Uint8Array(nItems);
  for (let i = 0; i < nItems; i++) itemHasId[i] = counts[i] > 0 ? 1 : 0;
  const userRows = featureRows(nUsers, 0, userHasId, userCols, userBlocks, o.attributeWeight);
  const itemRows = featureRows(nItems, itemBase, itemHasId, itemCols, itemBlocks, o.attributeWeight);
  const layout: FmLayout = {
    users: dataset.users,
    items: dataset.items,
    userBlocks,
    itemBlocks,
    itemBase,
    features,
    attributeWeight: o.attributeWeight,
    historyBase: o.historyFeatures ? historyBase : -1,
    historyWeight: o.historyFeatures ? o.historyWeight : 0,
  };

  const validate = o.validationFraction > 0;
  const split = splitPositives(pos, o, new Rng(o.seed ^ 0x5b1d));
  const hasVal = validate && split.valIdx.length > 0;
  // history features come from the pairs being trained on, never from the held-out validation pairs
  const fullUserRows = o.historyFeatures
    ? withHistory(userRows, pos.indptr, pos.indices, historyBase, o.historyWeight)
    : userRows;
  const phaseUserRows =
    o.historyFeatures && hasVal
      ? withHistory(userRows, split.trainPtr, split.trainIdx, historyBase, o.historyWeight)
      : fullUserRows;
  let run = runTraining(
    features,
    phaseUserRows,
    itemRows,
    hasVal ? split : fullSplit(pos),
    counts,
    o,
    o.epochs,
    hasVal,
    hasVal && !o.refit ? { split: fullSplit(pos), epochs: o.finetuneEpochs, users: fullUserRows } : undefined,
  );
  let refit = false;
  const history = run.history;
  const bestValidation = run.best;
  if (hasVal && o.refit) {
    run = runTraining(
      features,
      fullUserRows,
      itemRows,
      fullSplit(pos),
      counts,
      o,
      Math.max(1, run.bestEpoch),
      false,
    );
    refit = true;
  }
  const model = new FmModel(layout, run.params, fullUserRows, itemRows, {
    indptr: pos.indptr,
    indices: pos.indices,
  });
  model.training = {
    loss: o.loss,
    optimizer: o.optimizer,
    epochs: run.epochs,
    bestEpoch: run.bestEpoch,
    bestValidation,
    history,
    refit,
    finetuneEpochs: hasVal && !o.refit ? o.finetuneEpochs : 0,
    seconds: (performance.now() - started) / 1000,
  };
  return model;
}

/** Appends each user's items (weight w/√n) as history features to the user rows. */
function withHistory(
  base: FeatureRows,
  ptr: Int32Array,
  idx: Int32Array,
  historyBase: number,
  w: number,
): FeatureRows {
  const nUsers = base.ptr.length - 1;
  const outPtr = new Int32Array(nUsers + 1);
  for (let u = 0; u < nUsers; u++) {
    outPtr[u + 1] = outPtr[u] + (base.ptr[u + 1] - base.ptr[u]) + (ptr[u + 1] - ptr[u]);
  }
  const index = new Int32Array(outPtr[nUsers]);
  const weight = new Float32Array(outPtr[nUsers]);
  for (let u = 0; u < nUsers; u++) {
    let q = outPtr[u];
    for (let p = base.ptr[u]; p < base.ptr[u + 1]; p++, q++) {
      index[q] = base.index[p];
      weight[q] = base.weight[p];
    }
    const n = ptr[u + 1] - ptr[u];
    for (let p = ptr[u]; p < ptr[u + 1]; p++, q++) {
      index[q] = historyBase + idx[p];
      weight[q] = w / Math.sqrt(n);
    }
  }
  return { ptr: outPtr, index, weight };
}

function fullSplit(pos: Positives): Split {
  return {
    trainPtr: pos.indptr,
    trainIdx: pos.indices,
    trainWeight: pos.weight,
    valPtr: new Int32Array(pos.indptr.length),
    valIdx: new Int32Array(),
  };
}
