import type { Recommender } from '../algorithms/recommender.js';
import { getAlgorithm, trainEntry } from '../algorithms/registry.js';
import { SessionModel } from '../algorithms/session.js';
import { SessionArmModel } from '../algorithms/session-knn/session-arm.js';
import {
  type RepeatPolicy,
  type SessionEvent,
  SessionKnnModel,
  scoreSession,
} from '../algorithms/session-knn/session-knn.js';
import {
  DEFAULT_SESSION_GAP_MINUTES,
  type SessionLog,
  sessionCount,
  sessionLogOf,
} from '../algorithms/session-knn/session-log.js';
import { filterInteractions } from '../data/builder.js';
import type { Dataset } from '../data/dataset.js';
import { ValidationError } from '../errors.js';
import { evaluateNextItem, type NextItemResult, type SessionRanker, type TestSession } from './next-item.js';

/** Registry algorithms that rank a session prefix (the others score known users only). */
export const SESSION_ALGORITHMS: readonly string[] = ['session-knn', 'session'];

export interface SessionProtocolOptions {
  readonly algorithms: readonly string[];
  /** List length K (default 20, as session-rec reports). */
  readonly k?: number;
  readonly policies?: readonly RepeatPolicy[];
  /** Share of the latest sessions (by first event) held out as test, without `test` (default 0.2). */
  readonly testShare?: number;
  /** Test sessions from another dataset (train on all of `dataset`), e.g. session-rec's `_test` file. */
  readonly test?: Dataset;
  readonly sessionGapMinutes?: number;
  /** Raw trainer options per algorithm name (validated by the entry's schema). */
  readonly trainOptions?: ReadonlyMap<string, unknown>;
  /** Seed of stochastic trainers (default 42). */
  readonly seed?: number;
  readonly onProgress?: (algorithm: string, phase: 'train' | 'score') => void;
}

export interface SessionProtocolResult {
  readonly protocol: 'session';
  readonly k: number;
  readonly split: {
    readonly trainSessions: number;
    readonly trainInteractions: number;
    readonly testSessions: number;
    readonly testTargets: number;
    /** Share of targets that repeat an item earlier in their session. */
    readonly repeatShare: number;
    readonly source: 'time split' | 'test dataset';
  };
  readonly results: (NextItemResult & { readonly trainMs: number })[];
}

/** Test sessions as item-id events (ids from the log's own dataset). */
function testSessions(log: SessionLog, dataset: Dataset, from: number): TestSession[] {
  const out: TestSession[] = [];
  for (let s = from; s < sessionCount(log); s++) {
    if (log.ptr[s + 1] - log.ptr[s] < 2) continue; // a one-event session has no target
    const events: SessionEvent[] = [];
    for (let p = log.ptr[s]; p < log.ptr[s + 1]; p++)
      events.push({
        itemId: dataset.items.ids[log.items[p]],
        eventType: dataset.eventTypes.ids[log.eventTypes[p]],
        timestamp: log.times[p],
      });
    out.push({ events });
  }
  return out;
}

/** How a trained model ranks a session prefix, or undefined when it cannot score sessions. */
export function sessionRankerOf(model: Recommender): SessionRanker | undefined {
  if (model instanceof SessionArmModel) return sessionRankerOf(model.knn);
  if (model instanceof SessionKnnModel)
    return (prefix, k, policy) => scoreSession(model, prefix, { k, repeat: policy }).map((x) => x.itemId);
  if (model instanceof SessionModel) {
    // the legacy model never recommends the session's own items: both policies are its discovery list
    return (prefix, k) => {
      const top = model.recommendFromRecent(
        prefix.map((e) => e.itemId),
        k,
      );
      return Array.from(top.items, (i) => model.items.ids[i]);
    };
  }
  return undefined;
}

/**
 * `evaluate --protocol session`: the next-item protocol (see {@link evaluateNextItem}) on the latest
 * sessions (or a test dataset's), per algorithm and repeat policy. Sessions come from SESSION_ID when the
 * data has it, else from USER_ID cut at an inactivity gap.
 */
export function evaluateSessions(dataset: Dataset, options: SessionProtocolOptions): SessionProtocolResult {
  const k = options.k ?? 20;
  const policies = options.policies ?? ['allow', 'exclude'];
  const gap = options.sessionGapMinutes ?? DEFAULT_SESSION_GAP_MINUTES;
  const share = options.testShare ?? 0.2;
  if (!(share > 0 && share < 1)) throw new ValidationError('testShare must be in (0, 1)', 'testShare');
  for (const a of options.algorithms)
    if (!SESSION_ALGORITHMS.includes(a)) {
      getAlgorithm(a); // an unknown name gets the registry's message
      throw new ValidationError(
        `algorithm "${a}" cannot score sessions; --protocol session takes ${SESSION_ALGORITHMS.join(', ')}`,
        'algorithms',
      );
    }
  const entries = options.algorithms.map((a) => getAlgorithm(a));
  const log = sessionLogOf(dataset, gap);
  let train: Dataset;
  let test: TestSession[];
  let trainSessions: number;
  if (options.test) {
    train = dataset;
    trainSessions = sessionCount(log);
    test = testSessions(sessionLogOf(options.test, gap), options.test, 0);
  } else {
    const n = sessionCount(log);
    const nTest = Math.round(n * share);
    if (n < 2 || nTest < 1 || nTest >= n)
      throw new ValidationError(`${n} sessions are too few to hold out the latest ${share}`, 'testShare');
    const isTrain = new Uint8Array(dataset.interactions.length);
    const rows = log.rows as Int32Array;
    for (let p = 0; p < log.ptr[n - nTest]; p++) isTrain[rows[p]] = 1;
    train = filterInteractions(dataset, (r) => isTrain[r] === 1);
    trainSessions = n - nTest;
    test = testSessions(log, dataset, n - nTest);
  }
  let targets = 0;
  let repeats = 0;
  for (const s of test) {
    const seen = new Set<string>();
    for (let t = 1; t < s.events.length; t++) {
      seen.add(s.events[t - 1].itemId);
      targets++;
      if (seen.has(s.events[t].itemId)) repeats++;
    }
  }
  const results: SessionProtocolResult['results'] = [];
  for (const entry of entries) {
    const name = entry.name;
    options.onProgress?.(name, 'train');
    const t0 = performance.now();
    const model = trainEntry(entry, train, options.trainOptions?.get(name), options.seed ?? 42);
    const trainMs = performance.now() - t0;
    const ranker = sessionRankerOf(model);
    if (!ranker) throw new ValidationError(`algorithm "${name}" cannot score sessions`, 'algorithms');
    options.onProgress?.(name, 'score');
    for (const policy of policies)
      results.push({ ...evaluateNextItem(name, test, ranker, { k, policy }), trainMs });
  }
  return {
    protocol: 'session',
    k,
    split: {
      trainSessions,
      trainInteractions: train.interactions.length,
      testSessions: test.length,
      testTargets: targets,
      repeatShare: targets > 0 ? repeats / targets : 0,
      source: options.test ? 'test dataset' : 'time split',
    },
    results,
  };
}
