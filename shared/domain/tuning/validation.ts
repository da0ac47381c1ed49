import type { Dataset } from '../data/dataset.js';
import { type HeldOut, type Split, type SplitProtocol, splitDataset } from '../evaluation/splits.js';
import { Rng } from '../random.js';

export interface ValidationOptions {
  /** Per-user protocol of shared/domain/evaluation/splits.ts (default `random`: 20 % of each user's rows). */
  readonly protocol?: SplitProtocol;
  readonly seed?: number;
  /** Score at most this many validation users (a seeded sample; keeps trials bounded on large shops). */
  readonly maxUsers?: number;
}

/**
 * The tuner's validation split, carved from the data a model will be trained on (the evaluation's
 * training part, never its hold-out): the same per-user protocol as the evaluation, with its own seed.
 */
export function carveValidation(train: Dataset, options: ValidationOptions = {}): Split {
  const split = splitDataset(train, options.protocol ?? 'random', { seed: options.seed ?? 42 });
  const max = options.maxUsers;
  if (max === undefined || split.testUsers <= max) return split;
  return { ...split, ...sampleUsers(split.test, max, (options.seed ?? 42) + 1) };
}

/** Keeps the targets of `max` seeded users with targets; the others' rows stay in training. */
function sampleUsers(test: HeldOut, max: number, seed: number): { test: HeldOut; testUsers: number } {
  const n = test.offsets.length - 1;
  const withTargets: number[] = [];
  for (let u = 0; u < n; u++) if (test.offsets[u + 1] > test.offsets[u]) withTargets.push(u);
  const keep = new Uint8Array(n);
  const picked = new Rng(seed).shuffle(withTargets).slice(0, max);
  for (const u of picked) keep[u] = 1;
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let u = 0; u < n; u++) {
    if (keep[u]) total += test.offsets[u + 1] - test.offsets[u];
    offsets[u + 1] = total;
  }
  const items = new Int32Array(total);
  for (let u = 0; u < n; u++)
    if (keep[u]) items.set(test.items.subarray(test.offsets[u], test.offsets[u + 1]), offsets[u]);
  return { test: { offsets, items }, testUsers: picked.length };
}
