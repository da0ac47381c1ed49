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
