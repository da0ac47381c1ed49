import { describe, expect, it } from 'vitest';
import { EvaluationPool } from '../../shared/domain/algorithms/session-knn/evaluation-pool.js';
import { learnNewRank, learnRepeatTables } from '../../shared/domain/algorithms/session-knn/repeat-model.js';
import { trainSequentialRules } from '../../shared/domain/algorithms/session-knn/sequential-rules.js';
import { buildSessionIndex } from '../../shared/domain/algorithms/session-knn/session-index.js';
import { DEFAULT_SESSION_KNN_PARAMS } from '../../shared/domain/algorithms/session-knn/session-knn.js';
import { type SessionLog, splitLatest } from '../../shared/domain/algorithms/session-knn/session-log.js';
import { trainSessionKnnFromLog } from '../../shared/domain/algorithms/session-knn/train.js';
import { Rng } from '../../shared/domain/random.js';
import { sessionLogFrom } from '../helpers/session-log.js';

const N_ITEMS = 300;

/** Shoppers walking neighbouring items, going back to one seen before now and then, a session a minute. */
function walks(sessions: number, seed: number): SessionLog {
  const rng = new Rng(seed);
  const ptr = [0];
  const items: number[] = [];
  const times: number[] = [];
  for (let s = 0; s < sessions; s++) {
    let item = Math.floor(rng.next() * rng.next() * N_ITEMS);
    const len = 2 + Math.floor(rng.next() * 8);
    for (let p = 0; p < len; p++) {
      items.push(item);
      times.push(s * 60 + p);
      item =
        rng.next() < 0.3
          ? items[ptr[s] + Math.floor(rng.next() * (p + 1))]
          : (item + 1 + Math.floor(rng.next() * 5)) % N_ITEMS;
    }
    ptr.push(items.length);
  }
  return sessionLogFrom(ptr, items, times);
}

const itemIds = Array.from({ length: N_ITEMS }, (_, i) => `i${i}`);

describe('EvaluationPool', () => {
  it('ranks every target as one thread does, whatever the number of threads', () => {
    const { train, test } = splitLatest(walks(1500, 3), 0.2);
    const targets = { sess: new Int32Array(400), pos: new Int32Array(400) };
    for (let j = 0; j < 400; j++) {
      targets.sess[j] = j % (test.ptr.length - 1);
      targets.pos[j] = test.ptr[targets.sess[j]] + 1;
    }
    const data = {
      itemIds,
      eventTypeNames: ['none'],
      index: buildSessionIndex(train, N_ITEMS, { maxSessionsPerItem: 200, maxSessionLength: 50 }),
      rules: trainSequentialRules(train, N_ITEMS, 10, 50),
      repeat: learnRepeatTables(train, 1, learnNewRank([], 100)),
      log: test,
      targets,
      n: 100,
    };
    const one = EvaluationPool.open(data, 1);
    const three = EvaluationPool.open(data, 3);
    try {
      for (const params of [
        DEFAULT_SESSION_KNN_PARAMS,
        { ...DEFAULT_SESSION_KNN_PARAMS, k: 50, srWeight: 0 },
      ]) {
        const a = one.evaluate(params);
        const b = three.evaluate(params);
        expect(three.threads).toBe(3);
        expect(Array.from(b.ranks)).toEqual(Array.from(a.ranks));
        expect(Array.from(b.work)).toEqual(Array.from(a.work));
        expect(a.ranks.some((r) => r >= 0)).toBe(true);
      }
    } finally {
      one.close();
      three.close();
    }
  });

  it('makes the search choose the same parameters on two threads as on one', () => {
    const log = walks(1200, 11);
    const settings = { tuneBudget: 6, validationTargets: 500 };
    const single = trainSessionKnnFromLog(log, itemIds, ['none'], {}, { ...settings, threads: 1 });
    const pooled = trainSessionKnnFromLog(log, itemIds, ['none'], {}, { ...settings, threads: 2 });
    expect(pooled.tuning).toEqual(single.tuning);
    expect(pooled.model.params).toEqual(single.model.params);
    expect(single.tuning?.evaluations).toBe(6);
  });
});
