import { ValidationError } from '../errors.js';
import { Rng } from '../random.js';

/** One searched hyperparameter (the registry entry's `searchSpace` contract, issue 14). */
export type ParamRange =
  | { readonly kind: 'float'; readonly min: number; readonly max: number; readonly log?: boolean }
  | { readonly kind: 'int'; readonly min: number; readonly max: number; readonly log?: boolean }
  | { readonly kind: 'choice'; readonly values: readonly (string | number | boolean)[] };

export type SearchSpace = Readonly<Record<string, ParamRange>>;
export type ParamValue = string | number | boolean;
/** Trainer options a trial sets (keys are the search space's option names). */
export type Params = Readonly<Record<string, ParamValue>>;

/** Checks a search space once, so a bad entry fails naming its key instead of producing NaN trials. */
export function validateSearchSpace(algorithm: string, space: SearchSpace): void {
  for (const [key, r] of Object.entries(space)) {
    const where = `searchSpace of ${algorithm}: ${key}`;
    if (r.kind === 'choice') {
      if (r.values.length === 0) throw new ValidationError(`${where} has no values`, 'searchSpace');
      continue;
    }
    if (!(Number.isFinite(r.min) && Number.isFinite(r.max) && r.min <= r.max))
      throw new ValidationError(`${where} needs finite min <= max`, 'searchSpace');
    if (r.log && r.min <= 0)
      throw new ValidationError(`${where} is log-scaled, so min must be > 0`, 'searchSpace');
  }
}

/** Maps u in [0, 1) to a value of the range (log ranges are uniform in log space). */
function valueAt(r: ParamRange, u: number): ParamValue {
  if (r.kind === 'choice') return r.values[Math.min(r.values.length - 1, Math.floor(u * r.values.length))];
  if (r.kind === 'float') {
    const v = r.log
      ? Math.exp(Math.log(r.min) + u * (Math.log(r.max) - Math.log(r.min)))
      : r.min + u * (r.max - r.min);
    // 4 significant digits keep trial logs readable and params stable across JSON round trips
    return Number(v.toPrecision(4));
  }
  const lo = r.log ? Math.log(r.min) : r.min;
  const hi = r.log ? Math.log(r.max + 1) : r.max + 1;
  const v = Math.floor(r.log ? Math.exp(lo + u * (hi - lo)) : lo + u * (hi - lo));
  return Math.min(r.max, Math.max(r.min, v));
}

/**
 * `count` seeded trials over `space`: the first is `{}` (the trainer's defaults, so tuning never ends
 * below them on validation), the rest a Latin hypercube: each parameter's range is cut into count − 1
 * strata and every stratum is used once, in an independent random order per parameter. All trials are
 * known before any runs, so they fan out to one Map state of parallel Lambdas.
 */
export function proposeTrials(space: SearchSpace, count: number, seed: number): Params[] {
  if (!Number.isInteger(count) || count < 1)
    throw new ValidationError(`trials must be >= 1, got ${count}`, 'trials');
  const keys = Object.keys(space);
  const trials: Params[] = [{}];
  const n = keys.length === 0 ? 0 : count - 1;
  if (n === 0) return trials;
  const rng = new Rng(seed);
  const columns = keys.map((key) => {
    const strata = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    return strata.map((s) => valueAt(space[key], (s + rng.next()) / n));
  });
  const seen = new Set<string>();
  for (let t = 0; t < n; t++) {
    const params: Record<string, ParamValue> = {};
    keys.forEach((key, j) => {
      params[key] = columns[j][t];
    });
    // small int/choice spaces repeat combinations: a repeat would only re-measure noise
    const id = JSON.stringify(params);
    if (seen.has(id)) continue;
    seen.add(id);
    trials.push(params);
  }
  return trials;
}
