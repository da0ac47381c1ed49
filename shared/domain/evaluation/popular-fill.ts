import { buildUserItemCsr } from '../data/csr.js';
import type { CsrMatrix, Dataset } from '../data/dataset.js';
import { containsSorted } from './metrics.js';

/**
 * Items ranked by how many distinct users interacted with them, with each item's share of users as its
 * score. Used to top up short recommendation lists in evaluation and batch inference, so every user gets a
 * full list as in serving.
 */
export interface PopularRanking {
  readonly items: Int32Array;
  readonly scores: Float32Array;
}

/** Ranks every item with at least one interaction by distinct-user count (ties: lower index first). */
export function rankByPopularity(
  dataset: Dataset,
  userItems: CsrMatrix = buildUserItemCsr(dataset),
): PopularRanking {
  const counts = new Float64Array(dataset.items.size);
  // the CSR merges a user's repeated events, so each (user, item) pair counts once
  for (let p = 0; p < userItems.indices.length; p++) counts[userItems.indices[p]]++;
  let activeUsers = 0;
  for (let u = 0; u < userItems.rows; u++) if (userItems.indptr[u + 1] > userItems.indptr[u]) activeUsers++;
  const order: number[] = [];
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) order.push(i);
  order.sort((a, b) => counts[b] - counts[a] || a - b);
  const total = activeUsers || 1;
  return {
    items: Int32Array.from(order),
    scores: Float32Array.from(order, (i) => counts[i] / total),
  };
}

/**
 * Appends popular items to `list` until it has `n` entries, skipping items already in the list and items
 * in `seen` (ascending-sorted, e.g. a CSR row of the user's training items). Filled entries get `fillScore`.
 */
export function fillFromPopular(
  list: { items: Int32Array; scores: Float32Array },
  n: number,
  popular: PopularRanking,
  seen: Int32Array,
  fillScore: (rank: number) => number,
): { items: Int32Array; scores: Float32Array; filled: number } {
  const base = Math.min(n, list.items.length);
  if (base >= n) return { items: list.items.subarray(0, n), scores: list.scores.subarray(0, n), filled: 0 };
  const items = new Int32Array(n);
  const scores = new Float32Array(n);
  items.set(list.items.subarray(0, base));
  scores.set(list.scores.subarray(0, base));
  let m = base;
  for (let p = 0; p < popular.items.length && m < n; p++) {
    const i = popular.items[p];
    if (containsSorted(seen, i)) continue;
    let dup = false;
    for (let j = 0; j < base; j++) {
      if (items[j] === i) {
        dup = true;
        break;
      }
    }
    if (dup) continue;
    items[m] = i;
    scores[m] = fillScore(p);
    m++;
  }
  return { items: items.subarray(0, m), scores: scores.subarray(0, m), filled: m - base };
}
