import type { Dataset } from '../data/dataset.js';
import type { Recommender } from './recommender.js';

/** Most models kept per dataset (a blend has five members; the nightly trains four entries). */
const MAX_MODELS = 8;
/** Datasets whose models are kept: a blend trains on an inner validation split between two uses of its own. */
const MAX_DATASETS = 2;

/**
 * Models trained on the current dataset, by algorithm, options and seed. Without it a night trains the
 * same model twice in one process: TrainCf / TrainFm and the blend champion's cf / fm members (same
 * evaluation split, same tuned options, same seed), which the local runner and a warm Lambda run in one
 * process. Trainers are deterministic for their inputs, so a hit is the model a second training would
 * produce. Only the last MAX_DATASETS datasets' models are kept.
 */
const slots: { dataset: Dataset; models: Map<string, Recommender> }[] = [];

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
  let slot = slots.find((s) => s.dataset === dataset);
  if (!slot) {
    slot = { dataset, models: new Map() };
    slots.push(slot);
    if (slots.length > MAX_DATASETS) slots.shift();
  }
  const key = `${name}|${seed}|${stableJson(options)}`;
  const hit = slot.models.get(key);
  if (hit) return hit as M;
  const model = train();
  if (slot.models.size >= MAX_MODELS) slot.models.delete(slot.models.keys().next().value as string);
  slot.models.set(key, model);
  return model;
}
