import type { Dataset } from '../data/dataset.js';
import type { Recommender } from './recommender.js';

/**
 * Most models kept per dataset (a blend has five members; the nightly trains four entries; a tuning
 * night's best trial per algorithm, see keepBest).
 */
const MAX_MODELS = 8;
/**
 * Datasets whose models are kept: a blend trains on an inner validation split between two uses of its
 * own, and the tuning split's best models (keepBest) stay while the night trains on the evaluation split.
 */
const MAX_DATASETS = 3;

/**
 * Models trained on the current dataset, by algorithm, options and seed. Without it a night trains the
 * same model twice in one process: TrainCf / TrainFm and the blend champion's cf / fm members (same
 * evaluation split, same tuned options, same seed), which the local runner and a warm Lambda run in one
 * process. Trainers are deterministic for their inputs, so a hit is the model a second training would
 * produce. Only the last MAX_DATASETS datasets' models are kept.
 */
const slots: {
  dataset: Dataset;
  models: Map<string, Recommender>;
  /** Per algorithm, the key of its best-scoring model (see keepBest): evicted last. */
  best: Map<string, { key: string; score: number }>;
}[] = [];

const keyOf = (name: string, options: unknown, seed: number) => `${name}|${seed}|${stableJson(options)}`;

function slotOf(dataset: Dataset) {
  let slot = slots.find((s) => s.dataset === dataset);
  if (!slot) {
    slot = { dataset, models: new Map(), best: new Map() };
    slots.push(slot);
    // the tuning split's slot (the one with best models) outlives the blend trial's inner folds
    if (slots.length > MAX_DATASETS) {
      const drop = slots.findIndex((s) => s.best.size === 0);
      slots.splice(Math.max(drop, 0), 1);
    }
  }
  return slot;
}

/** JSON with object keys sorted, so equal options give one key whatever order they were merged in. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `train()` unless this process already trained `name` on this very `dataset` object with equal
 * `options` and `seed`, in which case that model is returned.
 */
export function trainOnce<M extends Recommender>(
  name: string,
  dataset: Dataset,
  options: unknown,
  seed: number,
  train: () => M,
): M {
  const slot = slotOf(dataset);
  const key = keyOf(name, options, seed);
  const hit = slot.models.get(key);
  if (hit) return hit as M;
  const model = train();
  if (slot.models.size >= MAX_MODELS) {
    // the oldest model that is not some algorithm's best goes first (then the oldest of all)
    const pinned = new Set([...slot.best.values()].map((b) => b.key));
    const victim = [...slot.models.keys()].find((k) => !pinned.has(k)) ?? slot.models.keys().next().value;
    slot.models.delete(victim as string);
  }
  slot.models.set(key, model);
  return model;
}

/**
 * Marks the model trainOnce holds for `name` / `options` / `seed` on `dataset` as that algorithm's best so
 * far when `score` beats the previous best's, so it outlives the newer models of other trials: the
 * tuning night trains up to 40 trials on one validation split, and the blend's trial then trains its
 * members on that split with their best params, which are exactly the best trials' models.
 */
export function keepBest(
  name: string,
  dataset: Dataset,
  options: unknown,
  seed: number,
  score: number,
): void {
  const slot = slotOf(dataset);
  const key = keyOf(name, options, seed);
  if (!slot.models.has(key)) return;
  // one tuning split at a time keeps best models: a later night's split releases the earlier one
  for (const other of slots) if (other !== slot) other.best.clear();
  const previous = slot.best.get(name);
  if (!previous || score > previous.score) slot.best.set(name, { key, score });
}
