/**
 * The nightly evaluation split of a run's snapshot, computed once per process: the Train states, Evaluate
 * and the Tune trials all split the same snapshot with the same seed, and the local runner (like a warm
 * Lambda container) runs several of them in one process with the snapshot already cached.
 */
import type { Dataset } from '../domain/data/dataset.js';
import { type HeldOut, heldOutTargets, type Split, splitDataset } from '../domain/evaluation/splits.js';

/**
 * The nightly evaluation split (Amazon Personalize's protocol: 10 % of users, seeded by the run, their
 * latest 10 % of interactions held out).
 */
export const EVALUATION_PROTOCOL = 'personalize' as const;

let splitCache: { dataset: Dataset; seed: number; split: Split } | undefined;
let targetsCache: { dataset: Dataset; seed: number; targets: HeldOut } | undefined;

/** The evaluation split of `dataset` (the cached snapshot) for `seed`; the last one is kept. */
export function evaluationSplitOf(dataset: Dataset, seed: number): Split {
  if (splitCache?.dataset !== dataset || splitCache.seed !== seed)
    splitCache = { dataset, seed, split: splitDataset(dataset, EVALUATION_PROTOCOL, { seed }) };
  return splitCache.split;
}

/**
 * The evaluation split's held-out targets: the cached split's when this process split the snapshot
 * already, else computed without copying the training rows (a shard Lambda needs only the targets).
 */
export function evaluationTargetsOf(dataset: Dataset, seed: number): HeldOut {
  if (splitCache?.dataset === dataset && splitCache.seed === seed) return splitCache.split.test;
  if (targetsCache?.dataset !== dataset || targetsCache.seed !== seed)
    targetsCache = { dataset, seed, targets: heldOutTargets(dataset, EVALUATION_PROTOCOL, { seed }) };
  return targetsCache.targets;
}
