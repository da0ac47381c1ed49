import { describe, expect, it } from 'vitest';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import type { Dataset } from '../../shared/domain/data/dataset.js';
import { splitDataset, targetsOf } from '../../shared/domain/evaluation/splits.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { Rng } from '../../shared/domain/random.js';

/** 50 users × 10 interactions on distinct items, timestamps shuffled so file order ≠ time order. */
function generated(): Dataset {
  const rng = new Rng(7);
  const b = new DatasetBuilder();
  for (let u = 0; u < 50; u++) {
    const times = rng.shuffle(Array.from({ length: 10 }, (_, j) => 1000 + j * 60));
    for (let j = 0; j < 10; j++) b.addInteraction(`u${u}`, `i${(u * 3 + j * 7) % 120}`, times[j]);
  }
  return b.build();
}

/** Item ids of a user's targets. */
function targetIds(ds: Dataset, split: ReturnType<typeof splitDataset>, user: string): string[] {
  return Array.from(targetsOf(split.test, ds.users.get(user)), (i) => ds.items.ids[i]).sort();
}

/** The user's latest `n` item ids by timestamp. */
function latest(ds: Dataset, user: string, n: number): string[] {
  const u = ds.users.get(user);
  const { user: us, item, timestamp } = ds.interactions;
  const rows = [];
  for (let r = 0; r < ds.interactions.length; r++) if (us[r] === u) rows.push(r);
  rows.sort((a, b) => timestamp[b] - timestamp[a]);
  return rows
    .slice(0, n)
    .map((r) => ds.items.ids[item[r]])
    .sort();
}

describe('splitDataset', () => {
  const ds = generated();

  it('random holds out 20% of every user and keeps the id indices', () => {
    const s = splitDataset(ds, 'random', { seed: 1 });
    expect(s.train.interactions.length).toBe(400);
    expect(s.test.items.length).toBe(100);
    expect(s.testUsers).toBe(50);
    expect(s.train.items).toBe(ds.items);
    expect(s.train.users).toBe(ds.users);
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const a = splitDataset(ds, 'random', { seed: 1 });
    const b = splitDataset(ds, 'random', { seed: 1 });
    const c = splitDataset(ds, 'random', { seed: 2 });
    expect(Array.from(a.test.items)).toEqual(Array.from(b.test.items));
    expect(Array.from(a.test.items)).not.toEqual(Array.from(c.test.items));
  });

  it("temporal holds out each user's latest 20%", () => {
    const s = splitDataset(ds, 'temporal');
    for (const user of ['u0', 'u17', 'u49']) expect(targetIds(ds, s, user)).toEqual(latest(ds, user, 2));
  });

  it('personalize holds out 10% of users and their latest 10% of interactions', () => {
    const s = splitDataset(ds, 'personalize', { seed: 3 });
    expect(s.testUsers).toBe(5);
    expect(s.train.interactions.length).toBe(500 - 5);
    for (let u = 0; u < ds.users.size; u++) {
      const id = ds.users.ids[u];
      const t = targetIds(ds, s, id);
      if (t.length > 0) expect(t).toEqual(latest(ds, id, 1));
    }
  });

  it('personalize holds out at least one interaction of a held-out user', () => {
    const b = new DatasetBuilder();
    for (let u = 0; u < 10; u++) for (let j = 0; j < 3; j++) b.addInteraction(`u${u}`, `i${j}`, j);
    const s = splitDataset(b.build(), 'personalize', { seed: 5 });
    expect(s.testUsers).toBe(1);
    expect(s.test.items.length).toBe(1);
  });

  it('does not make an item a target when the user also has it in training', () => {
    const b = new DatasetBuilder();
    // u1 views a at t=1..4 and b at t=5: temporal 20% of 5 rows holds out the row at t=5 only
    for (let t = 1; t <= 4; t++) b.addInteraction('u1', 'a', t);
    b.addInteraction('u1', 'b', 5);
    // u2 views c four times and then c again: the held-out c is also in training, so no target
    for (let t = 1; t <= 5; t++) b.addInteraction('u2', 'c', t);
    const d = b.build();
    const s = splitDataset(d, 'temporal');
    expect(targetIds(d, s, 'u1')).toEqual(['b']);
    expect(targetIds(d, s, 'u2')).toEqual([]);
    expect(s.testUsers).toBe(1);
  });

  it('rejects an unknown protocol naming the allowed values', () => {
    expect(() => splitDataset(ds, 'weekly' as never)).toThrow(ValidationError);
    expect(() => splitDataset(ds, 'weekly' as never)).toThrow(/personalize, random, temporal/);
  });
});
