import * as z from 'zod/mini';
import { resolveOptions } from './model-options.js';
import type { RecommendOptions, Recommender, TopN } from './recommender.js';
import { topK } from './top-k.js';

/**
 * Blend of trained recommenders: each member proposes its top `candidates` items, their scores are
 * min-max normalised per user and member (so models on different scales mix), and the weighted sum ranks
 * the union. With `fusion: 'rank'` a member contributes w / (rankOffset + rank) instead (reciprocal rank
 * fusion). Weights are meant to be chosen on a validation split carved from the training data.
 */
export const blendOptionsSchema = z.strictObject({
  fusion: z.optional(z.enum(['score', 'rank'])),
  /** Items each member proposes per user. */
  candidates: z.optional(z.int().check(z.minimum(1), z.maximum(5000))),
  /** Offset k of reciprocal rank fusion, 1 / (k + rank). */
  rankOffset: z.optional(z.number().check(z.minimum(0))),
});

export interface BlendOptions {
  readonly fusion: 'score' | 'rank';
  readonly candidates: number;
  readonly rankOffset: number;
}

export const DEFAULT_BLEND_OPTIONS: BlendOptions = { fusion: 'score', candidates: 100, rankOffset: 20 };

/** Blend options from raw input (strict; defaults for the keys left out). */
export function blendOptions(raw: unknown = {}): BlendOptions {
  return resolveOptions('blend', blendOptionsSchema, raw, DEFAULT_BLEND_OPTIONS);
}

export class BlendModel implements Recommender {
  readonly name: string;
  private readonly acc: Float64Array;
  private readonly mark: Int32Array;
  private readonly touched: Int32Array;
  private stamp = 0;

  constructor(
    readonly members: readonly Recommender[],
    readonly weights: readonly number[],
    nItems: number,
    readonly options: BlendOptions = DEFAULT_BLEND_OPTIONS,
    name = 'blend',
  ) {
    this.name = name;
    this.acc = new Float64Array(nItems);
    this.mark = new Int32Array(nItems);
    this.touched = new Int32Array(nItems);
  }

  recommend(user: number, n: number, options?: RecommendOptions): TopN {
    const stamp = ++this.stamp;
    const { acc, mark, touched } = this;
    let nt = 0;
    const c = Math.max(n, this.options.candidates);
    for (let m = 0; m < this.members.length; m++) {
      const w = this.weights[m];
      if (!(w > 0)) continue;
      const list = this.members[m].recommend(user, c, options);
      const len = list.items.length;
      if (len === 0) continue;
      const hi = list.scores[0];
      const lo = list.scores[len - 1];
      const span = hi - lo;
      for (let r = 0; r < len; r++) {
        const j = list.items[r];
        const v =
          this.options.fusion === 'rank'
            ? w / (this.options.rankOffset + r + 1)
            : w * (span > 0 ? (list.scores[r] - lo) / span : 1);
        if (mark[j] !== stamp) {
          mark[j] = stamp;
          acc[j] = 0;
          touched[nt++] = j;
        }
        acc[j] += v;
      }
    }
    if (nt === 0) return { items: new Int32Array(0), scores: new Float32Array(0) };
    const cand = new Float64Array(nt);
    for (let t = 0; t < nt; t++) cand[t] = acc[touched[t]];
    const top = topK(cand, n);
    const items = new Int32Array(top.items.length);
    for (let r = 0; r < items.length; r++) items[r] = touched[top.items[r]];
    return { items, scores: top.scores };
  }
}
