/** The training positives (unique user-item pairs with sample weights) and their train/validation split. */
import { buildUserItemCsr, indexInSorted } from '../../data/csr.js';
import type { Dataset } from '../../data/dataset.js';
import type { Rng } from '../../random.js';
import { resolveEventWeights } from '../event-weights.js';
import type { Resolved } from './options.js';

/** Unique (user, item) positives with a sample weight, plus each pair's latest timestamp. */
export interface Positives {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly weight: Float32Array;
  readonly latest: Float64Array;
}

export function collectPositives(
  dataset: Dataset,
  eventWeights: Readonly<Record<string, number>>,
): Positives {
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
export function findInRow(indptr: Int32Array, indices: Int32Array, user: number, item: number): number {
  return indexInSorted(indices, indptr[user], indptr[user + 1], item);
}

/** Training and validation pairs carved from the positives. */
export interface Split {
  readonly trainPtr: Int32Array;
  readonly trainIdx: Int32Array;
  readonly trainWeight: Float32Array;
  readonly valPtr: Int32Array;
  readonly valIdx: Int32Array;
}

export function splitPositives(pos: Positives, o: Resolved, rng: Rng): Split {
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

export function fullSplit(pos: Positives): Split {
  return {
    trainPtr: pos.indptr,
    trainIdx: pos.indices,
    trainWeight: pos.weight,
    valPtr: new Int32Array(pos.indptr.length),
    valIdx: new Int32Array(),
  };
}
