import type { RepeatPolicy, SessionEvent } from '../algorithms/session-knn/session-knn.js';
import { Z95 } from '../measurement/statistics.js';

/**
 * The next-item protocol of session-based recommendation (session-rec's evaluation): at every position
 * t ≥ 1 of every test session, the recommender sees the first t events and ranks items; the target is
 * event t's item. HR@K = share of targets in the top K, MRR@K = mean 1/rank (0 beyond K). Every target
 * counts, repeats included; the split shows repeat targets (the item is already in the prefix) and new
 * ones apart. Intervals are 95 % over sessions (targets of one session are not independent).
 */
export interface TestSession {
  readonly events: readonly SessionEvent[];
}

/** A ratio with its 95 % interval over sessions. */
export interface SessionRate {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

export interface NextItemSplit {
  readonly targets: number;
  readonly hr: SessionRate;
  readonly mrr: SessionRate;
}

export interface NextItemResult {
  readonly algorithm: string;
  readonly policy: RepeatPolicy;
  readonly k: number;
  readonly sessions: number;
  readonly targets: number;
  readonly hr: SessionRate;
  readonly mrr: SessionRate;
  readonly repeat: NextItemSplit;
  readonly new: NextItemSplit;
  /** Mean milliseconds per scored prefix. */
  readonly msPerPrefix: number;
}

/** Ranks item ids for a session prefix (events oldest first), best first, at most k. */
export type SessionRanker = (
  prefix: readonly SessionEvent[],
  k: number,
  policy: RepeatPolicy,
) => readonly string[];

/**
 * Ratio estimator Σhits/Σtargets with sessions as clusters: SE² = m/(m-1) · Σ(h_s − R·n_s)² / (Σn_s)².
 */
export function clusteredRate(hits: ArrayLike<number>, counts: ArrayLike<number>): SessionRate {
  let h = 0;
  let n = 0;
  let m = 0;
  for (let s = 0; s < counts.length; s++) {
    if (counts[s] === 0) continue;
    h += hits[s];
    n += counts[s];
    m++;
  }
  if (n === 0) return { value: 0, low: 0, high: 0 };
  const r = h / n;
  let ss = 0;
  for (let s = 0; s < counts.length; s++) {
    if (counts[s] === 0) continue;
    const d = hits[s] - r * counts[s];
    ss += d * d;
  }
  const se = m > 1 ? Math.sqrt((m / (m - 1)) * ss) / n : 0;
  return { value: r, low: Math.max(0, r - Z95 * se), high: r + Z95 * se };
}

/** Runs the next-item protocol for one ranker and one policy. */
export function evaluateNextItem(
  algorithm: string,
  sessions: readonly TestSession[],
  rank: SessionRanker,
  options: { readonly k: number; readonly policy: RepeatPolicy },
): NextItemResult {
  const { k, policy } = options;
  const m = sessions.length;
  // per session: [all, repeat, new] × [targets, hits, reciprocal ranks]
  const cols = Array.from({ length: 9 }, () => new Float64Array(m));
  let prefixes = 0;
  const started = performance.now();
  for (let s = 0; s < m; s++) {
    const ev = sessions[s].events;
    const seen = new Set<string>();
    for (let t = 1; t < ev.length; t++) {
      seen.add(ev[t - 1].itemId);
      const target = ev[t].itemId;
      const list = rank(ev.slice(0, t), k, policy);
      prefixes++;
      let rr = 0;
      for (let j = 0; j < list.length && j < k; j++)
        if (list[j] === target) {
          rr = 1 / (j + 1);
          break;
        }
      const part = seen.has(target) ? 1 : 2;
      for (const g of [0, part]) {
        cols[g * 3][s]++;
        if (rr > 0) cols[g * 3 + 1][s]++;
        cols[g * 3 + 2][s] += rr;
      }
    }
  }
  const ms = performance.now() - started;
  const split = (g: number): NextItemSplit => ({
    targets: cols[g * 3].reduce((a, b) => a + b, 0),
    hr: clusteredRate(cols[g * 3 + 1], cols[g * 3]),
    mrr: clusteredRate(cols[g * 3 + 2], cols[g * 3]),
  });
  const all = split(0);
  return {
    algorithm,
    policy,
    k,
    sessions: m,
    targets: all.targets,
    hr: all.hr,
    mrr: all.mrr,
    repeat: split(1),
    new: split(2),
    msPerPrefix: prefixes > 0 ? ms / prefixes : 0,
  };
}
