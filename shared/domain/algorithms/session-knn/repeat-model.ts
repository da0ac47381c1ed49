import { type SessionLog, sessionCount } from './session-log.js';

/**
 * The repeat model: how likely the next click goes back to an item already in the session, learned by
 * counting over training sessions (every prefix, every distinct item in it). Features of an item in the
 * session: its recency rank among the session's distinct items (0 = the item clicked last), how often it
 * was clicked, and the event type of its last event. Cells are shrunk towards the recency-only rate.
 * It also holds P(next click is new | session state) and P(the new target is the q-th new candidate),
 * so repeat and new candidates rank on one probability scale.
 */
export interface RepeatTables {
  readonly ranks: number;
  readonly counts: number;
  readonly types: number;
  /** P(target = item | rank, count, type), index (rank × counts + count-1) × types + type. */
  readonly repeat: Float32Array;
  /** P(target is not in the session | distinct-items bucket × last item's count bucket). */
  readonly explore: Float32Array;
  /** P(the target is the q-th best new candidate | the target is new), non-increasing in q. */
  readonly newRank: Float32Array;
}

/** Buckets (the last of each range takes everything beyond). */
export const REPEAT_RANKS = 8;
export const REPEAT_COUNTS = 4;
export const EXPLORE_DISTINCT = 6;
/** Prior strength (pseudo-trials) of each cell towards its parent estimate. */
const PRIOR = 5;

/** Repeat features of the distinct items of a prefix, most recent first. */
export interface PrefixItem {
  readonly key: number;
  /** recency rank among distinct items (0 = last clicked) */
  readonly rank: number;
  readonly count: number;
  readonly type: number;
}

/**
 * The distinct items of `keys[0..n)` (oldest first) with their repeat features, most recent first.
 * `keys` are any integer item keys; `types` event-type buckets < `nTypes`.
 */
export function prefixItems(keys: ArrayLike<number>, types: ArrayLike<number>, n: number): PrefixItem[] {
  const out: PrefixItem[] = [];
  const at = new Map<number, number>();
  for (let p = n - 1; p >= 0; p--) {
    const k = keys[p];
    const j = at.get(k);
    if (j === undefined) {
      at.set(k, out.length);
      out.push({ key: k, rank: out.length, count: 1, type: types[p] });
    } else (out[j] as { count: number }).count++;
  }
  return out;
}

/** Cell of the repeat table for an item's features. */
export function repeatCell(
  t: Pick<RepeatTables, 'ranks' | 'counts' | 'types'>,
  rank: number,
  count: number,
  type: number,
): number {
  const r = Math.min(rank, t.ranks - 1);
  const c = Math.min(count, t.counts) - 1;
  const e = type < t.types ? type : 0;
  return (r * t.counts + c) * t.types + e;
}

/** Cell of the explore table for a prefix's distinct-item count and its last item's click count. */
export function exploreCell(distinct: number, lastCount: number): number {
  return (Math.min(distinct, EXPLORE_DISTINCT) - 1) * REPEAT_COUNTS + Math.min(lastCount, REPEAT_COUNTS) - 1;
}

/** Counts the repeat and explore rates over every prefix of every session of `log`. */
export function learnRepeatTables(log: SessionLog, nTypes: number, newRank: Float32Array): RepeatTables {
  const types = Math.max(1, Math.min(nTypes, 16));
  const cells = REPEAT_RANKS * REPEAT_COUNTS * types;
  const hits = new Float64Array(cells);
  const trials = new Float64Array(cells);
  const rHits = new Float64Array(REPEAT_RANKS);
  const rTrials = new Float64Array(REPEAT_RANKS);
  const eCells = EXPLORE_DISTINCT * REPEAT_COUNTS;
  const eHits = new Float64Array(eCells);
  const eTrials = new Float64Array(eCells);
  const shape = { ranks: REPEAT_RANKS, counts: REPEAT_COUNTS, types };
  const typeBucket = new Uint16Array(log.eventTypes.length);
  for (let p = 0; p < typeBucket.length; p++)
    typeBucket[p] = log.eventTypes[p] < types ? log.eventTypes[p] : 0;
  for (let s = 0; s < sessionCount(log); s++) {
    const from = log.ptr[s];
    const len = log.ptr[s + 1] - from;
    const keys = log.items.subarray(from, from + len);
    const ts = typeBucket.subarray(from, from + len);
    for (let t = 1; t < len; t++) {
      const target = keys[t];
      const items = prefixItems(keys, ts, t);
      let repeated = false;
      for (const it of items) {
        const cell = repeatCell(shape, it.rank, it.count, it.type);
        const hit = it.key === target ? 1 : 0;
        if (hit) repeated = true;
        trials[cell]++;
        hits[cell] += hit;
        const r = Math.min(it.rank, REPEAT_RANKS - 1);
        rTrials[r]++;
        rHits[r] += hit;
      }
      const e = exploreCell(items.length, items[0].count);
      eTrials[e]++;
      if (!repeated) eHits[e]++;
    }
  }
  let gH = 0;
  let gT = 0;
  for (let r = 0; r < REPEAT_RANKS; r++) {
    gH += rHits[r];
    gT += rTrials[r];
  }
  const global = gT > 0 ? gH / gT : 0;
  const repeat = new Float32Array(cells);
  for (let r = 0; r < REPEAT_RANKS; r++) {
    const pr = (rHits[r] + PRIOR * global) / (rTrials[r] + PRIOR);
    for (let c = 0; c < REPEAT_COUNTS; c++)
      for (let e = 0; e < types; e++) {
        const cell = (r * REPEAT_COUNTS + c) * types + e;
        repeat[cell] = (hits[cell] + PRIOR * pr) / (trials[cell] + PRIOR);
      }
  }
  let xH = 0;
  let xT = 0;
  for (let e = 0; e < eCells; e++) {
    xH += eHits[e];
    xT += eTrials[e];
  }
  const xGlobal = xT > 0 ? xH / xT : 0.5;
  const explore = new Float32Array(eCells);
  for (let e = 0; e < eCells; e++) explore[e] = (eHits[e] + PRIOR * xGlobal) / (eTrials[e] + PRIOR);
  return { ...shape, repeat, explore, newRank };
}

/**
 * P(q | new) from the ranks at which new targets were found among new candidates (-1 = not in the list),
 * smoothed and made non-increasing so a better-ranked candidate never scores lower.
 */
export function learnNewRank(ranks: ArrayLike<number>, length: number): Float32Array {
  const hist = new Float64Array(length);
  for (let j = 0; j < ranks.length; j++) if (ranks[j] >= 0 && ranks[j] < length) hist[ranks[j]]++;
  const n = Math.max(1, ranks.length);
  const out = new Float32Array(length);
  let run = 1;
  for (let q = 0; q < length; q++) {
    // a light pseudo-count on a 1/(q+1) shape keeps the tail above zero and ordered
    const p = (hist[q] + 1 / (q + 1)) / (n + 2);
    run = Math.min(run, p);
    out[q] = run;
  }
  return out;
}
