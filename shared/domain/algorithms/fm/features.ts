import type { CategoricalColumn } from '../../data/dataset.js';
import type { FeatureRows, FmAttributeBlock } from '../fm-model.js';

export function attributeBlocks(cols: readonly CategoricalColumn[], start: number): FmAttributeBlock[] {
  const blocks: FmAttributeBlock[] = [];
  let offset = start;
  for (const c of cols) {
    blocks.push({ name: c.name, dict: c.dict, offset });
    offset += c.dict.size;
  }
  return blocks;
}

/** Feature rows: id feature (when `hasId[e]`) plus every attribute column's values. */
export function featureRows(
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

/** Appends each user's items (weight w/√n) as history features to the user rows. */
export function withHistory(
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
