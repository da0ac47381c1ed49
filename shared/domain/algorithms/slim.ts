import * as z from 'zod/mini';
import { buildUserItemCsr, indexInSorted, transposeCsr } from '../data/csr.js';
import type { Dataset } from '../data/dataset.js';
import { interactionWeight, NeighbourListsBuilder, TopSelector, transposeLists } from './item-cf.js';
import { LinearItemModel } from './linear-item-model.js';
import { resolveOptions } from './model-options.js';
import { eventWeightsSchema } from './option-schemas.js';

/**
 * SLIM-style sparse linear model (Ning & Karypis 2011, restricted as in fsSLIM): for every target item j,
 * a non-negative ElasticNet regression of its column x_j on the columns of its `neighbours` most
 * co-occurring items only, solved by coordinate descent on the local K × K Gram matrix. Items are
 * independent, so training shards by item range; memory is O(interactions + items·K), time
 * O(Σ_u |u|² + items·K²·sweeps), never items × items.
 */
export const slimOptionsSchema = z.strictObject({
  /** Candidate regressors per target (its most co-occurring items). */
  neighbours: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
  /**
   * Co-occurrences kept per item for the local Gram lookups, as a multiple of `neighbours`: a pair of
   * regressors outside each other's lists counts as 0, so larger is more exact (and memory items·K·m).
   */
  gramMultiple: z.optional(z.int().check(z.minimum(1), z.maximum(64))),
  /** L1 penalty (sparsity), in units of co-occurrence. */
  l1: z.optional(z.number().check(z.minimum(0))),
  /** L2 penalty, in units of co-occurrence. */
  l2: z.optional(z.number().check(z.minimum(0))),
  /** Coordinate-descent sweeps over a target's regressors. */
  sweeps: z.optional(z.int().check(z.minimum(1), z.maximum(100))),
  eventWeights: z.optional(eventWeightsSchema),
  halfLifeDays: z.optional(z.number().check(z.minimum(0))),
});

export type SlimOptions = z.infer<typeof slimOptionsSchema>;

export const DEFAULT_SLIM_OPTIONS = {
  neighbours: 100,
  gramMultiple: 4,
  l1: 1,
  l2: 50,
  sweeps: 8,
  halfLifeDays: 0,
};

/** The key hyperparameters and their ranges, for the tuner (the registry's searchSpace). */
export const SLIM_SEARCH_SPACE = {
  neighbours: { kind: 'int', min: 20, max: 300, log: true },
  l1: { kind: 'float', min: 0.01, max: 50, log: true },
  l2: { kind: 'float', min: 1, max: 1000, log: true },
} as const;

/** Trains the SLIM-style model on a dataset (options validated strictly; see slimOptionsSchema). */
export function trainSlim(dataset: Dataset, options: SlimOptions = {}): LinearItemModel {
  const o = resolveOptions('slim', slimOptionsSchema, options, DEFAULT_SLIM_OPTIONS);
  const weight = interactionWeight(dataset, o.eventWeights, o.halfLifeDays);
  const ui = buildUserItemCsr(dataset, weight);
  const iu = transposeCsr(ui);
  const nItems = ui.cols;
  const k = Math.min(o.neighbours, Math.max(1, nItems - 1));

  // 1. each item's k largest co-occurrences (exact dot products x_i·x_j), rows sorted by item for lookups
  const co = cooccurrenceLists(ui, iu, Math.min(nItems - 1, k * o.gramMultiple));
  const diag = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++)
    for (let p = iu.indptr[i]; p < iu.indptr[i + 1]; p++) diag[i] += iu.data[p] * iu.data[p];

  // 2. per target: local Gram over its neighbourhood (pairs outside each other's lists count as 0), CD
  const g = new Float64Array(k * k);
  const c = new Float64Array(k);
  const w = new Float64Array(k);
  const nb = new Int32Array(k);
  const nbPos = new Int32Array(k);
  const nbVal = new Float32Array(k);
  const sel = new TopSelector(k);
  const out = new NeighbourListsBuilder(nItems, nItems * k);
  for (let j = 0; j < nItems; j++) {
    // the k best of j's (index-sorted) list: its top entries by value
    sel.reset(k);
    for (let p = co.indptr[j]; p < co.indptr[j + 1]; p++) sel.push(p, co.vals[p]);
    const m = sel.count;
    sel.drain(nbPos, nbVal);
    for (let a = 0; a < m; a++) {
      nb[a] = co.indices[nbPos[a]];
      c[a] = nbVal[a];
      w[a] = 0;
    }
    for (let a = 0; a < m; a++) {
      const ia = nb[a];
      g[a * k + a] = diag[ia] + o.l2;
      for (let b = a + 1; b < m; b++) {
        const ib = nb[b];
        const q = indexInSorted(co.indices, co.indptr[ia], co.indptr[ia + 1], ib);
        const v = q >= 0 ? co.vals[q] : 0;
        g[a * k + b] = v;
        g[b * k + a] = v;
      }
    }
    // c holds the residual correlation G_jk − Σ_m G_km w_m; w ≥ 0
    for (let sw = 0; sw < o.sweeps; sw++) {
      let moved = 0;
      for (let a = 0; a < m; a++) {
        const ga = a * k;
        const old = w[a];
        // w_a = max(0, (g_ja − Σ_{b≠a} G_ab w_b − l1) / (G_aa + l2)), with c_a + G_aa·w_a = g_ja − Σ_{b≠a} G_ab w_b
        const next = Math.max(0, (c[a] + (g[ga + a] - o.l2) * old - o.l1) / g[ga + a]);
        const d = next - old;
        if (d === 0) continue;
        w[a] = next;
        moved += Math.abs(d);
        for (let b = 0; b < m; b++) c[b] -= g[ga + b] * d;
        // the l2 term sits on the diagonal of g but is not part of the data fit in c
        c[a] += o.l2 * d;
      }
      if (moved < 1e-6) break;
    }
    sel.reset(k);
    for (let a = 0; a < m; a++) if (w[a] > 0) sel.push(nb[a], w[a]);
    out.appendRow(j, sel);
  }
  const lists = transposeLists(out.build(), nItems, false);
  return new LinearItemModel('slim', dataset.items, lists, {
    indptr: ui.indptr,
    indices: ui.indices,
    weights: ui.data,
  });
}

/** Each item's k largest co-occurrence dot products, rows sorted by item index. */
function cooccurrenceLists(
  ui: { indptr: Int32Array; indices: Int32Array; data: Float32Array },
  iu: { rows: number; indptr: Int32Array; indices: Int32Array; data: Float32Array },
  k: number,
): { indptr: Int32Array; indices: Int32Array; vals: Float32Array } {
  const nItems = iu.rows;
  const acc = new Float64Array(nItems);
  const mark = new Int32Array(nItems).fill(-1);
  const touched = new Int32Array(nItems);
  const sel = new TopSelector(k);
  const out = new NeighbourListsBuilder(nItems, nItems * k);
  for (let i = 0; i < nItems; i++) {
    let nt = 0;
    for (let p = iu.indptr[i]; p < iu.indptr[i + 1]; p++) {
      const u = iu.indices[p];
      const x = iu.data[p];
      for (let q = ui.indptr[u]; q < ui.indptr[u + 1]; q++) {
        const j = ui.indices[q];
        if (mark[j] !== i) {
          mark[j] = i;
          acc[j] = 0;
          touched[nt++] = j;
        }
        acc[j] += x * ui.data[q];
      }
    }
    sel.reset(k);
    for (let t = 0; t < nt; t++) if (touched[t] !== i) sel.push(touched[t], acc[touched[t]]);
    out.appendRow(i, sel);
  }
  const l = out.build();
  // sort each row by item index so pair lookups are binary searches
  for (let r = 0; r < nItems; r++) {
    const s = l.indptr[r];
    const e = l.indptr[r + 1];
    const order = Array.from({ length: e - s }, (_, a) => s + a).sort((a, b) => l.indices[a] - l.indices[b]);
    const ti = order.map((p) => l.indices[p]);
    const tv = order.map((p) => l.sims[p]);
    l.indices.set(ti, s);
    l.sims.set(tv, s);
  }
  return { indptr: l.indptr, indices: l.indices, vals: l.sims };
}
