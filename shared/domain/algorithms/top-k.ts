import type { TopN } from './recommender.js';

/**
 * Selects the k highest scores with a binary min-heap over typed arrays (O(n log k), no allocation per
 * candidate). Entries with `skip[i] === 1` or a score of -Infinity/NaN are ignored. Ties break by the
 * lower index so results are deterministic.
 */
export function topK(scores: Float32Array | Float64Array, k: number, skip?: Uint8Array): TopN {
  const n = scores.length;
  const cap = Math.max(0, Math.min(k, n));
  const heapIdx = new Int32Array(cap);
  const heapVal = new Float64Array(cap);
  let size = 0;
  // a is "worse" than b when it has a lower score, or the same score and a higher index
  const worse = (va: number, ia: number, vb: number, ib: number) => va < vb || (va === vb && ia > ib);
  for (let i = 0; i < n; i++) {
    const v = scores[i];
    if (!(v > Number.NEGATIVE_INFINITY)) continue;
    if (skip !== undefined && skip[i] === 1) continue;
    if (size < cap) {
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(v, i, heapVal[p], heapIdx[p])) break;
        heapVal[c] = heapVal[p];
        heapIdx[c] = heapIdx[p];
        c = p;
      }
      heapVal[c] = v;
      heapIdx[c] = i;
    } else if (cap > 0 && worse(heapVal[0], heapIdx[0], v, i)) {
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= size) break;
        const r = l + 1;
        const m = r < size && worse(heapVal[r], heapIdx[r], heapVal[l], heapIdx[l]) ? r : l;
        if (!worse(heapVal[m], heapIdx[m], v, i)) break;
        heapVal[c] = heapVal[m];
        heapIdx[c] = heapIdx[m];
        c = m;
      }
      heapVal[c] = v;
      heapIdx[c] = i;
    }
  }
  // pop into descending order
  const items = new Int32Array(size);
  const out = new Float32Array(size);
  const order = Array.from({ length: size }, (_, j) => j).sort((a, b) =>
    heapVal[a] === heapVal[b] ? heapIdx[a] - heapIdx[b] : heapVal[b] - heapVal[a],
  );
  for (let j = 0; j < size; j++) {
    items[j] = heapIdx[order[j]];
    out[j] = heapVal[order[j]];
  }
  return { items, scores: out };
}

/**
 * Fixed-capacity min-heap selecting the best (score, lowest index) entries; reused across rows so the
 * hot loop allocates nothing.
 */
export class TopSelector {
  private idx: Int32Array;
  private val: Float64Array;
  private size = 0;
  private cap = 0;

  constructor(capacity: number) {
    this.idx = new Int32Array(Math.max(1, capacity));
    this.val = new Float64Array(Math.max(1, capacity));
  }

  /** Starts a new selection of at most `cap` entries. */
  reset(cap: number): void {
    if (cap > this.idx.length) {
      this.idx = new Int32Array(cap);
      this.val = new Float64Array(cap);
    }
    this.cap = cap;
    this.size = 0;
  }

  get count(): number {
    return this.size;
  }

  /** The `k`-th kept index (0 ≤ k < count), in heap order: for callers that need the set, not its order. */
  indexAt(k: number): number {
    return this.idx[k];
  }

  /** The value kept with {@link indexAt}(k). */
  valueAt(k: number): number {
    return this.val[k];
  }

  /** Offers candidate `i` with score `v` (NaN/-Infinity are ignored). */
  push(i: number, v: number): void {
    if (!(v > Number.NEGATIVE_INFINITY) || this.cap === 0) return;
    const idx = this.idx;
    const val = this.val;
    if (this.size < this.cap) {
      let c = this.size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        // parent must stay the worst: stop when v is not worse than the parent
        if (!(v < val[p] || (v === val[p] && i > idx[p]))) break;
        val[c] = val[p];
        idx[c] = idx[p];
        c = p;
      }
      val[c] = v;
      idx[c] = i;
      return;
    }
    // replace the root only when the candidate beats the current worst
    if (!(v > val[0] || (v === val[0] && i < idx[0]))) return;
    this.siftDown(i, v, this.size);
  }

  private siftDown(i: number, v: number, size: number): void {
    const idx = this.idx;
    const val = this.val;
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= size) break;
      const r = l + 1;
      const m = r < size && (val[r] < val[l] || (val[r] === val[l] && idx[r] > idx[l])) ? r : l;
      if (!(val[m] < v || (val[m] === v && idx[m] > i))) break;
      val[c] = val[m];
      idx[c] = idx[m];
      c = m;
    }
    val[c] = v;
    idx[c] = i;
  }

  /** Writes the selection best-first into out arrays at `offset`; returns the count. Empties the heap. */
  drain(outIdx: Int32Array, outVal: Float32Array, offset = 0): number {
    const n = this.size;
    // popping the min repeatedly yields worst-first, so fill from the back
    for (let k = n - 1; k >= 0; k--) {
      outIdx[offset + k] = this.idx[0];
      outVal[offset + k] = this.val[0];
      const last = this.size - 1;
      this.size = last;
      if (last > 0) this.siftDown(this.idx[last], this.val[last], last);
    }
    return n;
  }
}
