import * as z from 'zod/mini';
import { buildUserItemCsr, transposeCsr } from '../data/csr.js';
import type { Dataset } from '../data/dataset.js';
import { interactionWeight, NeighbourListsBuilder, TopSelector } from './item-cf.js';
import { LinearItemModel } from './linear-item-model.js';
import { resolveOptions } from './model-options.js';
import { eventWeightsSchema } from './option-schemas.js';

/**
 * RP3beta (Paudel et al. 2017; Dacrema et al. 2019): a 3-step random walk item → user → item on the
 * interaction graph, W_ij = Σ_u P(u|i)^α · P(j|u)^α, with the target's popularity damped by deg(j)^−β,
 * keeping each source item's top-K targets. Sparse: Σ_u |u|² work with a reused accumulator, memory
 * O(interactions + items·K), so it scales to 100k+ items and shards by source item.
 */
export const rp3betaOptionsSchema = z.strictObject({
  /** Exponent on the transition probabilities (1 = the plain random walk). */
  alpha: z.optional(z.number().check(z.minimum(0), z.maximum(3))),
  /** Popularity penalty: the target's weight is divided by its degree^beta. */
  beta: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
  /** Targets kept per source item. */
  neighbours: z.optional(z.int().check(z.minimum(1))),
  /** Scale each source row so its largest weight is 1. */
  normalizeRows: z.optional(z.boolean()),
  eventWeights: z.optional(eventWeightsSchema),
  halfLifeDays: z.optional(z.number().check(z.minimum(0))),
});

export type Rp3betaOptions = z.infer<typeof rp3betaOptionsSchema>;

/** The usual published starting point (alpha 1, beta 0.5, K 200); the tuner re-picks them per shop. */
export const DEFAULT_RP3BETA_OPTIONS = {
  alpha: 1,
  beta: 0.5,
  neighbours: 200,
  normalizeRows: false,
  halfLifeDays: 0,
};

/** The key hyperparameters and their ranges, for the tuner (the registry's searchSpace). */
export const RP3BETA_SEARCH_SPACE = {
  alpha: { kind: 'float', min: 0.2, max: 1.5 },
  beta: { kind: 'float', min: 0, max: 0.9 },
  neighbours: { kind: 'int', min: 20, max: 500, log: true },
} as const;

/** Trains RP3beta on a dataset (options validated strictly; see rp3betaOptionsSchema). */
export function trainRp3beta(dataset: Dataset, options: Rp3betaOptions = {}): LinearItemModel {
  const o = resolveOptions('rp3beta', rp3betaOptionsSchema, options, DEFAULT_RP3BETA_OPTIONS);
  const weight = interactionWeight(dataset, o.eventWeights, o.halfLifeDays);
  const ui = buildUserItemCsr(dataset, weight);
  const iu = transposeCsr(ui);
  const nItems = ui.cols;
  // P(j|u): user rows normalised by their weight sum; P(u|i): item rows normalised likewise; both ^alpha
  const pui = rowNormalisedPow(ui.indptr, ui.data, o.alpha);
  const piu = rowNormalisedPow(iu.indptr, iu.data, o.alpha);
  const damp = new Float64Array(nItems);
  for (let j = 0; j < nItems; j++) {
    const deg = iu.indptr[j + 1] - iu.indptr[j];
    damp[j] = deg > 0 ? deg ** -o.beta : 0;
  }
  const k = Math.min(o.neighbours, Math.max(1, nItems - 1));
  const out = new NeighbourListsBuilder(nItems, Math.min(nItems * k, Math.max(16, ui.indices.length)));
  const acc = new Float64Array(nItems);
  const mark = new Int32Array(nItems).fill(-1);
  const touched = new Int32Array(nItems);
  const sel = new TopSelector(k);
  for (let i = 0; i < nItems; i++) {
    let nt = 0;
    for (let p = iu.indptr[i]; p < iu.indptr[i + 1]; p++) {
      const u = iu.indices[p];
      const w = piu[p];
      for (let q = ui.indptr[u]; q < ui.indptr[u + 1]; q++) {
        const j = ui.indices[q];
        if (mark[j] !== i) {
          mark[j] = i;
          acc[j] = 0;
          touched[nt++] = j;
        }
        acc[j] += w * pui[q];
      }
    }
    sel.reset(k);
    for (let t = 0; t < nt; t++) {
      const j = touched[t];
      if (j !== i) sel.push(j, acc[j] * damp[j]);
    }
    out.appendRow(i, sel);
  }
  const lists = out.build();
  if (o.normalizeRows)
    for (let r = 0; r < nItems; r++) {
      const s = lists.indptr[r];
      // rows are best first, so the first weight is the row maximum
      if (lists.indptr[r + 1] > s && lists.sims[s] > 0) {
        const m = lists.sims[s];
        for (let p = s; p < lists.indptr[r + 1]; p++) lists.sims[p] /= m;
      }
    }
  return new LinearItemModel('rp3beta', dataset.items, lists, {
    indptr: ui.indptr,
    indices: ui.indices,
    weights: ui.data,
  });
}

function rowNormalisedPow(indptr: Int32Array, data: Float32Array, alpha: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r + 1 < indptr.length; r++) {
    let s = 0;
    for (let p = indptr[r]; p < indptr[r + 1]; p++) s += data[p];
    if (!(s > 0)) continue;
    for (let p = indptr[r]; p < indptr[r + 1]; p++) out[p] = (data[p] / s) ** alpha;
  }
  return out;
}
