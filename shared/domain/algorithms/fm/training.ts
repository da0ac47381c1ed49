/** The training loop: epochs, validation, early stopping, parameter averaging and fine-tuning. */
import { indexInSorted } from '../../data/csr.js';
import { Rng } from '../../random.js';
import {
  accumulateRows,
  computeItemSide,
  type FeatureRows,
  type FmParams,
  scoreAllItems,
} from '../fm-model.js';
import { topK } from '../top-k.js';
import type { Resolved } from './options.js';
import type { Split } from './positives.js';
import { FmSgd, NegativeSampler } from './sgd.js';

/** Validation users (those with held-out items), subsampled deterministically to at most `max`. */
export function validationUsers(split: Split, max: number, rng: Rng): Int32Array {
  const users: number[] = [];
  for (let u = 0; u + 1 < split.valPtr.length; u++) if (split.valPtr[u + 1] > split.valPtr[u]) users.push(u);
  const arr = Int32Array.from(users);
  if (arr.length <= max) return arr;
  return rng.shuffle(arr).slice(0, max).sort();
}

/** Mean precision@10 or AUC over validation users, excluding training positives from the ranking. */
export function evaluate(
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
export function blend(avg: Float32Array, cur: Float32Array, ema: number): void {
  for (let p = 0; p < avg.length; p++) avg[p] = ema * avg[p] + (1 - ema) * cur[p];
}

export function initParams(features: number, o: Resolved): FmParams {
  const rng = new Rng(o.seed ^ 0x5eed);
  const v = new Float32Array(features * o.k);
  for (let p = 0; p < v.length; p++) v[p] = rng.normal() * o.initStd;
  return { k: o.k, w0: new Float32Array(1), w: new Float32Array(features), v };
}

/** Runs up to `epochs` epochs; with validation keeps the best parameters (early stopping). */
export function runTraining(
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
  // WARP-batch and history features go user by user; plain pairwise runs go pair by pair
  const byUser = o.loss === 'warp-batch' || o.historyFeatures;
  const runEpoch = (sp: Split, pu: Int32Array, ord: Int32Array) =>
    sgd.epoch(
      sp,
      byUser
        ? { kind: 'users', userOrder: rng.shuffle(userOrder) }
        : { kind: 'pairs', pairUser: pu, order: rng.shuffle(ord) },
      sampler,
      rng,
    );
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
