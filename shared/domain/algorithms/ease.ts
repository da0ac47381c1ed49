import * as z from 'zod/mini';
import { buildUserItemCsr } from '../data/csr.js';
import type { Dataset } from '../data/dataset.js';
import { invertSpd } from './dense-spd.js';
import { interactionWeight, NeighbourListsBuilder, TopSelector, transposeLists } from './item-cf.js';
import { LinearItemModel } from './linear-item-model.js';
import { resolveOptions } from './model-options.js';
import { eventWeightsSchema } from './option-schemas.js';

/**
 * EASE (Steck 2019): the closed-form item-item linear model B = I − P·diag(1/diag P), P = (XᵀX + λI)⁻¹,
 * diag B = 0. Dense in items (two n × n Float64 buffers and ≈ n³/2 multiply-adds), so it trains only
 * on the `maxItems` most popular items: past that, use rp3beta, slim or ials, which are sparse. B is kept
 * as sparse lists of each target's `neighbours` largest weights, so it scores and serves like item CF.
 */
export const easeOptionsSchema = z.strictObject({
  /** L2 regularisation λ added to the Gram diagonal. */
  lambda: z.optional(z.number().check(z.positive())),
  /** Weights kept per target item (largest first); 0 keeps every weight, negatives included. */
  neighbours: z.optional(z.int().check(z.minimum(0))),
  /** Catalogue bound of the dense solve: only the most popular `maxItems` items are modelled. */
  maxItems: z.optional(z.int().check(z.minimum(1), z.maximum(20_000))),
  /** Treat every user-item pair as 1 (true) or as its summed event weight (false). */
  binary: z.optional(z.boolean()),
  /** Weights per event type name (case-insensitive); unknown types weigh 1. */
  eventWeights: z.optional(eventWeightsSchema),
  /** Half-life in days of an interaction's weight; 0 = no decay. */
  halfLifeDays: z.optional(z.number().check(z.minimum(0))),
});

export type EaseOptions = z.infer<typeof easeOptionsSchema>;

/** λ = 400 is the best of the published EASE range on ML-100K's validation split; the tuner re-picks it. */
export const DEFAULT_EASE_OPTIONS = {
  lambda: 400,
  neighbours: 0,
  maxItems: 4000,
  binary: false,
  halfLifeDays: 0,
};

/** The key hyperparameters and their ranges, for the tuner (the registry's searchSpace). */
export const EASE_SEARCH_SPACE = {
  lambda: { kind: 'float', min: 10, max: 5000, log: true },
} as const;

/** Trains EASE on a dataset (options validated strictly; see easeOptionsSchema). */
export function trainEase(dataset: Dataset, options: EaseOptions = {}): LinearItemModel {
  const o = resolveOptions('ease', easeOptionsSchema, options, DEFAULT_EASE_OPTIONS);
  const weight = interactionWeight(dataset, o.eventWeights, o.halfLifeDays);
  const ui = buildUserItemCsr(dataset, weight);
  const nItems = ui.cols;
  if (o.binary) ui.data.fill(1);

  // the modelled items: all of them, or the maxItems with most users (dense index 0..n-1)
  const degree = new Int32Array(nItems);
  for (let p = 0; p < ui.indices.length; p++) degree[ui.indices[p]]++;
  let kept = Array.from({ length: nItems }, (_, i) => i).filter((i) => degree[i] > 0);
  if (kept.length > o.maxItems)
    kept = kept.sort((a, b) => degree[b] - degree[a] || a - b).slice(0, o.maxItems);
  const n = kept.length;
  const local = new Int32Array(nItems).fill(-1);
  for (let d = 0; d < n; d++) local[kept[d]] = d;

  // Gram matrix G = XᵀX (lower triangle) from each user's row: Σ_u |u|² work, no users × items
  const g = new Float64Array(n * n);
  const rowIdx = new Int32Array(nItems);
  const rowVal = new Float64Array(nItems);
  for (let u = 0; u < ui.rows; u++) {
    let m = 0;
    for (let p = ui.indptr[u]; p < ui.indptr[u + 1]; p++) {
      const d = local[ui.indices[p]];
      if (d < 0) continue;
      rowIdx[m] = d;
      rowVal[m++] = ui.data[p];
    }
    for (let a = 0; a < m; a++) {
      const ra = rowIdx[a] * n;
      const va = rowVal[a];
      for (let b = 0; b < m; b++) g[ra + rowIdx[b]] += va * rowVal[b];
    }
  }
  for (let d = 0; d < n; d++) g[d * n + d] += o.lambda;
  const p = invertSpd(g, n);

  // B_ij = −P_ij / P_jj (i ≠ j): for each target j keep its largest weights, then lists by source i
  const k = o.neighbours === 0 ? n : Math.min(o.neighbours, n);
  const byTarget = new NeighbourListsBuilder(nItems, Math.min(n * k, 1 << 26));
  const sel = new TopSelector(k);
  const keepNegative = o.neighbours === 0;
  for (let j = 0; j < nItems; j++) {
    sel.reset(k);
    const dj = local[j];
    if (dj >= 0) {
      const inv = -1 / p[dj * n + dj];
      for (let di = 0; di < n; di++) {
        if (di === dj) continue;
        const w = p[di * n + dj] * inv;
        if (w > 0 || (keepNegative && w !== 0)) sel.push(kept[di], w);
      }
    }
    byTarget.appendRow(j, sel);
  }
  // unsorted rows: scoring does not need them sorted (neighbours() sorts on demand)
  const lists = transposeLists(byTarget.build(), nItems, false);
  return new LinearItemModel('ease', dataset.items, lists, {
    indptr: ui.indptr,
    indices: ui.indices,
    weights: ui.data,
  });
}
