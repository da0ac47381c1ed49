/**
 * Event-type weights shared by every trainer (CF, session, FM, popularity), so the same `eventWeights`
 * option means the same thing everywhere: names match case-insensitively, the empty and unknown types
 * weigh 1, 0 ignores a type's events as signal (its items still count as seen), and a negative weight is
 * refused. The trainers used to disagree on it (CF and session refused it, popularity treated it as 0 and FM
 * silently replaced it by 1, turning a "dislike" into a like); none can learn from a negative signal, so
 * the one honest answer is an error naming the type.
 */
import type { Dataset, IdIndex } from '../data/dataset.js';
import { ValidationError } from '../errors.js';
import { DEFAULT_EVENT_WEIGHTS } from './recommender.js';

/** Weight per event type index (Dataset.eventTypes); throws a ValidationError for a negative or non-finite weight. */
export function resolveEventWeights(
  eventTypes: IdIndex,
  weights: Readonly<Record<string, number>> = DEFAULT_EVENT_WEIGHTS,
): Float64Array {
  const lower = new Map<string, number>();
  for (const [type, w] of Object.entries(weights)) {
    if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0))
      throw new ValidationError(
        `event weight of "${type}" must be a finite number >= 0 (0 ignores the type), got ${String(w)}`,
        'eventWeights',
      );
    lower.set(type.toLowerCase(), w);
  }
  const out = new Float64Array(eventTypes.size);
  for (let t = 0; t < eventTypes.size; t++) {
    const name = eventTypes.ids[t];
    out[t] = name === '' ? 1 : (lower.get(name.toLowerCase()) ?? 1);
  }
  return out;
}

/**
 * Weight function per interaction row: event-type weight × optional exponential time decay
 * (half-life in days, relative to the dataset's newest timestamp).
 */
export function interactionWeight(
  dataset: Dataset,
  eventWeights?: Readonly<Record<string, number>>,
  halfLifeDays = 0,
): (row: number) => number {
  const ew = resolveEventWeights(dataset.eventTypes, eventWeights);
  const { eventType, timestamp, length } = dataset.interactions;
  if (!(halfLifeDays > 0)) return (r) => ew[eventType[r]];
  let maxTs = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < length; r++) if (timestamp[r] > maxTs) maxTs = timestamp[r];
  const k = Math.LN2 / (halfLifeDays * 86400);
  return (r) => ew[eventType[r]] * Math.exp(-k * (maxTs - timestamp[r]));
}
