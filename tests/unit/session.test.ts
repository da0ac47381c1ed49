import { describe, expect, it } from 'vitest';
import {
  deserializeSession,
  serializeSession,
  trainSession,
} from '../../shared/domain/algorithms/session.js';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import type { Dataset } from '../../shared/domain/data/dataset.js';
import { Rng } from '../../shared/domain/random.js';

const MIN = 60;

/**
 * Generated shop sessions: item f<k> is usually followed by t<k> (a fixed successor), with random
 * filler items in between sessions. Sessions are 2 hours apart.
 */
function sequential(seed: number, users = 40): Dataset {
  const rng = new Rng(seed);
  const b = new DatasetBuilder();
  for (let u = 0; u < users; u++) {
    let t = 0;
    for (let s = 0; s < 4; s++) {
      const k = rng.int(6);
      b.addInteraction(`u${u}`, `x${rng.int(20)}`, t);
      b.addInteraction(`u${u}`, `f${k}`, t + MIN);
      b.addInteraction(`u${u}`, `t${k}`, t + 2 * MIN);
      t += 120 * MIN;
    }
  }
  return b.build();
}

describe('session-aware model', () => {
  it('recommends the item that usually follows the last item', () => {
    const ds = sequential(1);
    const m = trainSession(ds);
    for (const k of [0, 3, 5]) {
      const top = m.recommendFromRecent([`x1`, `f${k}`], 1);
      expect(ds.items.ids[top.items[0]]).toBe(`t${k}`);
    }
  });

  it('weighs the most recent event most', () => {
    const ds = sequential(2);
    const m = trainSession(ds, { transitionWeight: 1 });
    expect(ds.items.ids[m.recommendFromRecent(['f1', 'f2'], 1).items[0]]).toBe('t2');
    expect(ds.items.ids[m.recommendFromRecent(['f2', 'f1'], 1).items[0]]).toBe('t1');
  });

  it('ignores unknown item ids in the recent list', () => {
    const ds = sequential(3);
    const m = trainSession(ds);
    expect(m.recommendFromRecent(['nope', 'f4', 'also-unknown'], 5)).toEqual(
      m.recommendFromRecent(['f4'], 5),
    );
    expect(m.recommendFromRecent(['nope'], 5).items.length).toBe(0);
  });

  it('accepts item indices as well as ids', () => {
    const ds = sequential(3);
    const m = trainSession(ds);
    expect(m.recommendFromRecent([ds.items.get('f2')], 5)).toEqual(m.recommendFromRecent(['f2'], 5));
  });

  it('uses only the last N recent events', () => {
    const ds = sequential(4);
    const m = trainSession(ds, { recentEvents: 1 });
    expect(m.recommendFromRecent(['f0', 'f1', 'f2', 'f3'], 5)).toEqual(m.recommendFromRecent(['f3'], 5));
  });

  it('does not count transitions across a session gap', () => {
    const b = new DatasetBuilder();
    for (let u = 0; u < 10; u++) {
      b.addInteraction(`u${u}`, 'A', 0);
      b.addInteraction(`u${u}`, 'B', MIN); // same session
      b.addInteraction(`u${u}`, 'C', 10 * 3600); // next day-ish: new session
    }
    const ds = b.build();
    const m = trainSession(ds, { transitionWeight: 1 });
    const after = Array.from(m.neighbours(ds.items.get('B')).items, (i) => ds.items.ids[i]);
    expect(after).not.toContain('C');
    expect(Array.from(m.neighbours(ds.items.get('A')).items, (i) => ds.items.ids[i])).toContain('B');
  });

  /** Ten users view A then B (and C); user t viewed A then B. */
  const abData = () => {
    const b = new DatasetBuilder();
    for (let u = 0; u < 10; u++) {
      b.addInteraction(`u${u}`, 'A', 0);
      b.addInteraction(`u${u}`, 'B', MIN);
      b.addInteraction(`u${u}`, 'C', 2 * MIN);
    }
    b.addInteraction('t', 'A', 0);
    b.addInteraction('t', 'B', MIN);
    return b.build();
  };

  it('recommends for a training user from their last events', () => {
    const ds = abData();
    const m = trainSession(ds);
    expect(ds.items.ids[m.recommend(ds.users.get('t'), 1).items[0]]).toBe('C');
  });

  it('excludes items the user already saw', () => {
    const ds = abData();
    const m = trainSession(ds);
    const got = Array.from(m.recommend(ds.users.get('t'), 5).items, (i) => ds.items.ids[i]);
    expect(got).not.toContain('A');
    expect(got).not.toContain('B');
  });

  it('includes seen items when includeSeen is set', () => {
    const ds = abData();
    const m = trainSession(ds);
    const got = Array.from(
      m.recommend(ds.users.get('t'), 5, { includeSeen: true }).items,
      (i) => ds.items.ids[i],
    );
    expect(got).toContain('A');
  });

  it('returns nothing for unknown users', () => {
    const m = trainSession(sequential(5));
    expect(m.recommend(-1, 5).items.length).toBe(0);
    expect(m.recommend(10_000, 5).items.length).toBe(0);
  });

  it('gives identical recommendations after a serialisation round trip', () => {
    const ds = sequential(6);
    const m = trainSession(ds);
    const back = deserializeSession(serializeSession(m), ds.items.ids);
    for (let u = 0; u < ds.users.size; u++) expect(back.recommend(u, 10)).toEqual(m.recommend(u, 10));
    expect(back.recommendFromRecent(['f1', 'x3'], 10)).toEqual(m.recommendFromRecent(['f1', 'x3'], 10));
  });

  it('is deterministic for the same data', () => {
    const a = serializeSession(trainSession(sequential(7)));
    const b = serializeSession(trainSession(sequential(7)));
    expect(a).toEqual(b);
  });
});
