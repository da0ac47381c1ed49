import { describe, expect, it } from 'vitest';
import {
  buildSessionIndex,
  type SessionIndex,
} from '../../shared/domain/algorithms/session-knn/session-index.js';
import { newestSessions } from '../../shared/domain/algorithms/session-knn/session-knn.js';
import type { SessionLog } from '../../shared/domain/algorithms/session-knn/session-log.js';
import { Rng } from '../../shared/domain/random.js';
import { sessionLogFrom } from '../helpers/session-log.js';

/** The specification: at every pick, scan every list past taken sessions and take the newest head. */
function scanNewest(x: SessionIndex, distinct: Int32Array, sample: number) {
  const taken = new Set<number>();
  const cand: number[] = [];
  const heads = Array.from(distinct, (i) => x.itemPtr[i]);
  const ends = Array.from(distinct, (i) => Math.min(x.itemPtr[i + 1], x.itemPtr[i] + sample));
  while (cand.length < sample) {
    let pick = -1;
    let newest = Number.NEGATIVE_INFINITY;
    for (let d = 0; d < distinct.length; d++) {
      while (heads[d] < ends[d] && taken.has(x.itemSess[heads[d]])) heads[d]++;
      if (heads[d] >= ends[d]) continue;
      const t = x.sessTime[x.itemSess[heads[d]]];
      if (t > newest) {
        newest = t;
        pick = d;
      }
    }
    if (pick < 0) break;
    const s = x.itemSess[heads[pick]++];
    taken.add(s);
    cand.push(s);
  }
  const read = heads.reduce((sum, h, d) => sum + h - x.itemPtr[distinct[d]], 0);
  return { cand, read };
}

/** Random sessions over few items and coarse times, so lists overlap and end times tie often. */
function randomLog(rng: Rng, sessions: number, nItems: number): SessionLog {
  const ptr = [0];
  const items: number[] = [];
  const times: number[] = [];
  for (let s = 0; s < sessions; s++) {
    const len = 1 + Math.floor(rng.next() * 12);
    const t0 = Math.floor(rng.next() * 20) * 100;
    for (let p = 0; p < len; p++) {
      items.push(Math.floor(rng.next() * rng.next() * nItems));
      times.push(t0 + p);
    }
    ptr.push(items.length);
  }
  return sessionLogFrom(ptr, items, times);
}

describe('newestSessions', () => {
  it('takes the same sessions in the same order and reads as much as a scan over every list', () => {
    const rng = new Rng(7);
    for (let round = 0; round < 300; round++) {
      const nItems = 5 + Math.floor(rng.next() * 40);
      const x = buildSessionIndex(randomLog(rng, 20 + Math.floor(rng.next() * 200), nItems), nItems, {
        maxSessionsPerItem: 1 + Math.floor(rng.next() * 60),
        maxSessionLength: 1 + Math.floor(rng.next() * 10),
      });
      const nd = 1 + Math.floor(rng.next() * Math.min(12, nItems));
      const distinct = Int32Array.from(rng.shuffle(Array.from({ length: nItems }, (_, i) => i)).slice(0, nd));
      const sample = Math.floor(rng.next() * 80);
      const n = x.sessTime.length;
      const buffers = {
        sessStamp: new Int32Array(n),
        heads: new Int32Array(nItems),
        ends: new Int32Array(nItems),
        heap: new Int32Array(nItems),
        headTime: new Float64Array(nItems),
      };
      const cand = new Int32Array(Math.max(1, sample));
      const got = newestSessions(x, distinct, nd, sample, cand, buffers, 1);
      const want = scanNewest(x, distinct, sample);
      expect(Array.from(cand.subarray(0, got.taken))).toEqual(want.cand);
      expect(got.read).toBe(want.read);
    }
  });
});
