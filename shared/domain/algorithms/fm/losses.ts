/**
 * The ranking losses' per-pair gradient weights as small pure functions (the SGD passes in sgd.ts apply
 * them to a positive and its negative(s)). Each returns the multiplier of the gradient of
 * s(u, positive) − s(u, negative) before the pair's sample weight.
 */

/** Largest loss weight: log(rank) is capped like LightFM's, so one hard pair cannot blow up a step. */
export const MAX_RANK_WEIGHT = 10;

/** WARP / WMRB rank weight: log(estimated rank of the positive), at least log 1 = 0, capped. */
export function rankWeight(rank: number): number {
  return Math.min(Math.log(Math.max(rank, 1)), MAX_RANK_WEIGHT);
}

/** WARP: the first margin violator was found after `tries` draws among `nItems`: rank ≈ ⌊(N−1)/tries⌋. */
export function warpWeight(nItems: number, tries: number): number {
  return rankWeight(Math.floor((nItems - 1) / tries));
}

/**
 * WARP-batch (WMRB): `violators` of a shared pool of `pool` negatives violate the margin, out of
 * `negatives` non-positive items: rank ≈ ⌊negatives · violators / pool⌋.
 */
export function wmrbWeight(negatives: number, violators: number, pool: number): number {
  return rankWeight(Math.floor((negatives * violators) / pool));
}

/** BPR: d/d(diff) of log σ(diff) = σ(−diff), with diff = positive − negative score. */
export function bprWeight(positive: number, negative: number): number {
  return 1 / (1 + Math.exp(positive - negative));
}
