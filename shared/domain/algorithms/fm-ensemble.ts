/**
 * Ensembles of factorization machines. The mean of m FM scores is itself an FM: concatenate the members'
 * factor matrices scaled by 1/√m (every pairwise term is a dot product, so it becomes the mean of the
 * members' terms) and average w0 and w. The merged model has k·m factors, the members' layout and the
 * same serialised format, so scoring and storage need nothing new.
 */
import { availableParallelism } from 'node:os';
import type { Dataset } from '../data/dataset.js';
import { ValidationError } from '../errors.js';
import { type FmOptions, trainFmMember, validateFmOptions } from './fm.js';
import { FmModel, type FmParams, type FmTrainingInfo } from './fm-model.js';
import { trainInWorkers } from './fm-workers.js';

/** Members by default: two averaged FMs lifted ML-100K test P@10 by ≈0.008 (see fm.ts's tuning notes). */
export const DEFAULT_MEMBERS = 2;

/**
 * Below this many interactions members train in the calling thread by default: starting a worker (≈1 s
 * from TypeScript sources) costs more than a small member does.
 */
export const WORKER_MIN_INTERACTIONS = 20_000;

/** Ensemble settings on top of the members' FmOptions. */
export interface FmEnsembleOptions extends FmOptions {
  /** Members trained with seeds seed, seed+1, … and averaged (default DEFAULT_MEMBERS; 1 = a plain FM). */
  readonly members?: number;
  /**
   * Worker threads training members at the same time (default min(members, available cores), or 1 below
   * WORKER_MIN_INTERACTIONS); 1 trains them one after another here. The model is identical either way.
   */
  readonly threads?: number;
}

/** Seed of ensemble member `m` (member 0 keeps the base seed, so members=1 equals trainFm). */
export function memberSeed(seed: number | undefined, m: number): number {
  return (seed ?? 42) + m;
}

/** Validates and returns the member count. */
export function memberCount(options?: FmEnsembleOptions): number {
  const m = options?.members ?? DEFAULT_MEMBERS;
  if (!Number.isInteger(m) || m < 1)
    throw new ValidationError('members must be a positive integer', 'members');
  return m;
}

/** The options of member `m` (without the ensemble-only keys). */
export function memberOptions(options: FmEnsembleOptions | undefined, m: number): FmOptions {
  const { members: _members, threads: _threads, ...rest } = options ?? {};
  return { ...rest, seed: memberSeed(options?.seed, m) };
}

/**
 * Merges FM members trained on the same dataset with the same feature options into one FmModel whose
 * scores are the mean of the members' scores (up to float32 rounding). Throws a ValidationError when the
 * members' feature layouts differ.
 */
export function mergeFmModels(members: readonly FmModel[]): FmModel {
  if (members.length === 0) throw new ValidationError('no FM members to merge', 'members');
  if (members.length === 1) return members[0];
  const first = members[0];
  const features = first.layout.features;
  for (const m of members) {
    const l = m.layout;
    if (
      l.features !== features ||
      l.itemBase !== first.layout.itemBase ||
      l.historyBase !== first.layout.historyBase ||
      l.historyWeight !== first.layout.historyWeight ||
      l.attributeWeight !== first.layout.attributeWeight ||
      l.users.size !== first.layout.users.size ||
      l.items.size !== first.layout.items.size ||
      m.userFeatures.index.length !== first.userFeatures.index.length ||
      m.itemFeatures.index.length !== first.itemFeatures.index.length
    )
      throw new ValidationError('FM members have different feature layouts', 'members');
  }
  const count = members.length;
  const scale = 1 / Math.sqrt(count);
  let k = 0;
  for (const m of members) k += m.params.k;
  const v = new Float32Array(features * k);
  const w = new Float32Array(features);
  let w0 = 0;
  let col = 0;
  for (const m of members) {
    const { k: km, v: vm, w: wm } = m.params;
    for (let f = 0; f < features; f++) {
      const src = f * km;
      const dst = f * k + col;
      for (let c = 0; c < km; c++) v[dst + c] = vm[src + c] * scale;
      w[f] += wm[f] / count;
    }
    w0 += m.params.w0[0] / count;
    col += km;
  }
  const params: FmParams = { k, w0: Float32Array.of(w0), w, v };
  const merged = new FmModel(first.layout, params, first.userFeatures, first.itemFeatures, first.seen);
  const infos = members.map((m) => m.training).filter((t): t is FmTrainingInfo => t !== undefined);
  if (infos.length === count) merged.training = ensembleInfo(infos, Number.NaN);
  return merged;
}

/** Training summary of an ensemble: the first member's fields, total epochs, and every member's info. */
export function ensembleInfo(infos: readonly FmTrainingInfo[], seconds: number): FmTrainingInfo {
  let epochs = 0;
  let best = 0;
  for (const t of infos) {
    epochs += t.epochs;
    best += t.bestValidation / infos.length;
  }
  const total = Number.isNaN(seconds) ? infos.reduce((s, t) => s + t.seconds, 0) : seconds;
  return { ...infos[0], epochs, bestValidation: best, seconds: total, members: infos };
}

/**
 * Trains `members` FMs (seeds seed, seed+1, …) in worker threads, or one after another in this thread
 * when threads is 1 or workers cannot start, and merges them (see mergeFmModels). Deterministic for a seed
 * whatever the thread count.
 */
export function trainFmEnsemble(dataset: Dataset, options?: FmEnsembleOptions): FmModel {
  const started = performance.now();
  const count = memberCount(options);
  const opts = Array.from({ length: count }, (_, m) => memberOptions(options, m));
  validateFmOptions(opts[0]);
  const auto = dataset.interactions.length < WORKER_MIN_INTERACTIONS ? 1 : availableParallelism();
  const threads = Math.min(count, options?.threads ?? auto);
  if (!Number.isInteger(threads) || threads < 1)
    throw new ValidationError('threads must be a positive integer', 'threads');
  const models =
    (threads > 1 ? trainInWorkers(dataset, opts, threads) : undefined) ??
    opts.map((o) => trainFmMember(dataset, o));
  const merged = mergeFmModels(models);
  if (count > 1 && merged.training)
    merged.training = ensembleInfo(merged.training.members ?? [], (performance.now() - started) / 1000);
  return merged;
}
