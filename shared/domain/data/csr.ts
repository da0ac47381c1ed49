import type { CsrMatrix, Dataset } from './dataset.js';

/**
 * Builds the user × item matrix in CSR form from a dataset's interactions. Repeated (user, item)
 * pairs are summed using `weight(row)` (default 1 per interaction). Column indices within a row are
 * sorted ascending. Memory is O(interactions), never users × items.
 */
export function buildUserItemCsr(dataset: Dataset, weight?: (row: number) => number): CsrMatrix {
  const { user, item, length } = dataset.interactions;
  const rows = dataset.users.size;
  const cols = dataset.items.size;
  const counts = new Int32Array(rows + 1);
  for (let r = 0; r < length; r++) counts[user[r] + 1]++;
  for (let u = 0; u < rows; u++) counts[u + 1] += counts[u];
  const tmpIdx = new Int32Array(length);
  const tmpVal = new Float32Array(length);
  const fill = counts.slice(0, rows);
  for (let r = 0; r < length; r++) {
    const p = fill[user[r]]++;
    tmpIdx[p] = item[r];
    tmpVal[p] = weight ? weight(r) : 1;
  }
  // sort each row by item and merge duplicates
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(length);
  const data = new Float32Array(length);
  let nnz = 0;
  for (let u = 0; u < rows; u++) {
    const s = counts[u];
    const e = counts[u + 1];
    const order = Array.from({ length: e - s }, (_, j) => s + j).sort((a, b) => tmpIdx[a] - tmpIdx[b]);
    let last = -1;
    for (const p of order) {
      if (tmpIdx[p] === last) {
        data[nnz - 1] += tmpVal[p];
      } else {
        indices[nnz] = tmpIdx[p];
        data[nnz] = tmpVal[p];
        last = tmpIdx[p];
        nnz++;
      }
    }
    indptr[u + 1] = nnz;
  }
  return { rows, cols, indptr, indices: indices.slice(0, nnz), data: data.slice(0, nnz) };
}

/** Transposes a CSR matrix (item × user from user × item). */
export function transposeCsr(m: CsrMatrix): CsrMatrix {
  const counts = new Int32Array(m.cols + 1);
  for (let p = 0; p < m.indices.length; p++) counts[m.indices[p] + 1]++;
  for (let c = 0; c < m.cols; c++) counts[c + 1] += counts[c];
  const fill = counts.slice(0, m.cols);
  const indices = new Int32Array(m.indices.length);
  const data = new Float32Array(m.indices.length);
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) {
      const q = fill[m.indices[p]]++;
      indices[q] = r;
      data[q] = m.data[p];
    }
  }
  return { rows: m.cols, cols: m.rows, indptr: counts, indices, data };
}

/**
 * Position of `x` in the ascending-sorted range `sorted[start..end)` (binary search), or -1. The one
 * lookup behind "is this item in the user's CSR row" checks in training, scoring and evaluation.
 */
export function indexInSorted(sorted: Int32Array, start: number, end: number, x: number): number {
  let lo = start;
  let hi = end - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid];
    if (v === x) return mid;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
