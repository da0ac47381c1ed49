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
  // Two counting sorts instead of a comparison sort per user: bucket the rows by item, then stably by
  // user, so each user's entries come out in ascending item order (O(interactions), no closures).
  const byItem = new Int32Array(cols + 1);
  for (let r = 0; r < length; r++) byItem[item[r] + 1]++;
  for (let c = 0; c < cols; c++) byItem[c + 1] += byItem[c];
  const itemOrder = new Int32Array(length);
  const itemFill = byItem.slice(0, cols);
  for (let r = 0; r < length; r++) itemOrder[itemFill[item[r]]++] = r;
  const counts = new Int32Array(rows + 1);
  for (let r = 0; r < length; r++) counts[user[r] + 1]++;
  for (let u = 0; u < rows; u++) counts[u + 1] += counts[u];
  const fill = counts.slice(0, rows);
  const order = new Int32Array(length);
  for (let k = 0; k < length; k++) {
    const r = itemOrder[k];
    order[fill[user[r]]++] = r;
  }
  // merge duplicates (adjacent now) within each user's row
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(length);
  const data = new Float32Array(length);
  let nnz = 0;
  for (let u = 0; u < rows; u++) {
    let last = -1;
    for (let p = counts[u]; p < counts[u + 1]; p++) {
      const r = order[p];
      const w = weight ? weight(r) : 1;
      if (item[r] === last) {
        data[nnz - 1] += w;
      } else {
        indices[nnz] = item[r];
        data[nnz] = w;
        last = item[r];
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
