import { describe, expect, it } from 'vitest';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import type { Dataset } from '../../shared/domain/data/dataset.js';
import { ValidationError } from '../../shared/domain/errors.js';
import {
  computePopularityLists,
  fillFromChain,
  trainPopularity,
  trainSegmentPopularity,
} from '../../shared/domain/popularity/popularity.js';
import { segmentChain } from '../../shared/domain/popularity/segments.js';
import { Rng } from '../../shared/domain/random.js';
import type { ScoredItem, SegmentList } from '../../shared/ports/types.js';

const DAY = 86_400;
const T0 = 1_700_000_000;

const listOf = (lists: SegmentList[], segment: string) => lists.find((l) => l.segment === segment);
const idsOf = (list: SegmentList | undefined) => list?.items.map((x) => x.itemId);

/** Item ids of a recommender's top-n for a user id. */
function recommendIds(
  ds: Dataset,
  rec: ReturnType<typeof trainPopularity>,
  userId: string,
  n: number,
  includeSeen = false,
) {
  const top = rec.recommend(ds.users.get(userId), n, { includeSeen });
  return Array.from(top.items, (i) => ds.items.ids[i]);
}

/**
 * Two groups of users with different tastes: `f` users (30s) all view f1 and f2, `m` users (30s) view m1,
 * and one 20s user views y1. Everyone also views `common` once.
 */
function segmentedDataset(nF: number, nM: number): Dataset {
  const b = new DatasetBuilder();
  for (let k = 0; k < nF; k++) {
    const u = `f${k}`;
    b.addUser(u, { AGE: '30s', GENDER: 'f' });
    b.addInteraction(u, 'f1', T0, 'view');
    b.addInteraction(u, 'f2', T0, 'view');
  }
  for (let k = 0; k < nM; k++) {
    const u = `m${k}`;
    b.addUser(u, { AGE: '30s', GENDER: 'm' });
    b.addInteraction(u, 'm1', T0, 'view');
    b.addInteraction(u, 'm1', T0, 'view');
    b.addInteraction(u, 'common', T0, 'view');
  }
  b.addUser('y0', { AGE: '20s', GENDER: 'f' });
  b.addInteraction('y0', 'y1', T0, 'view');
  return b.build();
}

describe('computePopularityLists: weighting', () => {
  it('ranks a purchase above views by default event weights', () => {
    const b = new DatasetBuilder();
    b.addInteraction('u1', 'viewed', T0, 'view');
    b.addInteraction('u2', 'viewed', T0, 'view');
    b.addInteraction('u3', 'bought', T0, 'purchase');
    const lists = computePopularityLists(b.build(), { halfLifeDays: 0 });
    const global = listOf(lists, 'global')!;
    expect(global.items.map((x) => x.itemId)).toEqual(['bought', 'viewed']);
    expect(global.items[1].score).toBeCloseTo(2 / 6, 6);
  });

  it('matches event types case-insensitively', () => {
    const b = new DatasetBuilder();
    b.addInteraction('u1', 'viewed', T0, 'View');
    b.addInteraction('u2', 'viewed', T0, 'VIEW');
    b.addInteraction('u3', 'bought', T0, 'Purchase');
    expect(idsOf(listOf(computePopularityLists(b.build(), { halfLifeDays: 0 }), 'global'))).toEqual([
      'bought',
      'viewed',
    ]);
  });

  it('uses custom event weights instead of the defaults', () => {
    const b = new DatasetBuilder();
    b.addInteraction('u1', 'viewed', T0, 'view');
    b.addInteraction('u2', 'viewed', T0, 'view');
    b.addInteraction('u3', 'bought', T0, 'purchase');
    const lists = computePopularityLists(b.build(), {
      halfLifeDays: 0,
      eventWeights: { view: 1, purchase: 1 },
    });
    expect(idsOf(listOf(lists, 'global'))).toEqual(['viewed', 'bought']);
  });

  it('halves the weight of an event one half-life before now', () => {
    const b = new DatasetBuilder();
    b.addInteraction('u1', 'old', T0 - 7 * DAY, 'view');
    b.addInteraction('u2', 'new', T0, 'view');
    const global = listOf(computePopularityLists(b.build(), { halfLifeDays: 7 }), 'global')!;
    expect(global.items.map((x) => x.itemId)).toEqual(['new', 'old']);
    expect(global.items[1].score).toBeCloseTo(0.5, 6);
  });

  it('does not decay when halfLifeDays is 0', () => {
    const b = new DatasetBuilder();
    b.addInteraction('u1', 'old', T0 - 700 * DAY, 'view');
    b.addInteraction('u2', 'new', T0, 'view');
    const global = listOf(computePopularityLists(b.build(), { halfLifeDays: 0 }), 'global')!;
    expect(global.items.map((x) => x.score)).toEqual([1, 1]);
  });

  it('counts a user repeating an event on an item once by default', () => {
    const b = new DatasetBuilder();
    for (let k = 0; k < 10; k++) b.addInteraction('bot', 'spammed', T0, 'view');
    for (let k = 0; k < 3; k++) b.addInteraction(`u${k}`, 'liked', T0, 'view');
    expect(idsOf(listOf(computePopularityLists(b.build()), 'global'))).toEqual(['liked', 'spammed']);
  });

  it('sums repeated events when countUsersOnce is false', () => {
    const b = new DatasetBuilder();
    for (let k = 0; k < 10; k++) b.addInteraction('bot', 'spammed', T0, 'view');
    for (let k = 0; k < 3; k++) b.addInteraction(`u${k}`, 'liked', T0, 'view');
    const lists = computePopularityLists(b.build(), { countUsersOnce: false });
    expect(idsOf(listOf(lists, 'global'))).toEqual(['spammed', 'liked']);
  });

  it('leaves items with only zero-weight events out of the lists', () => {
    const b = new DatasetBuilder();
    b.addInteraction('u1', 'shown', T0, 'impression');
    b.addInteraction('u1', 'viewed', T0, 'view');
    const lists = computePopularityLists(b.build(), { eventWeights: { impression: 0, view: 1 } });
    expect(idsOf(listOf(lists, 'global'))).toEqual(['viewed']);
  });

  it('cuts the global list at globalListSize', () => {
    const b = new DatasetBuilder();
    for (let i = 0; i < 20; i++) b.addInteraction('u1', `i${i}`, T0, 'view');
    const lists = computePopularityLists(b.build(), { globalListSize: 5 });
    expect(listOf(lists, 'global')!.items).toHaveLength(5);
  });

  it('keeps the whole ranking in the global list by default, beyond listSize', () => {
    const b = new DatasetBuilder();
    for (let i = 0; i < 20; i++) b.addInteraction('u1', `i${i}`, T0, 'view');
    expect(listOf(computePopularityLists(b.build(), { listSize: 5 }), 'global')!.items).toHaveLength(20);
  });

  it('rejects an unknown segment column', () => {
    expect(() => computePopularityLists(segmentedDataset(2, 2), { segmentColumns: ['AGEE'] })).toThrow(
      ValidationError,
    );
  });
});

describe('computePopularityLists: segments', () => {
  it('gives every prefix segment with enough users its own list', () => {
    const lists = computePopularityLists(segmentedDataset(3, 3), {
      minSupport: 3,
      segmentColumns: ['AGE', 'GENDER'],
    });
    expect(lists.map((l) => l.segment).sort()).toEqual(
      ['global', 'u:AGE=30s', 'u:AGE=30s&GENDER=f', 'u:AGE=30s&GENDER=m'].sort(),
    );
    expect(idsOf(listOf(lists, 'u:AGE=30s&GENDER=m'))).toEqual(['m1', 'common']);
  });

  it('gives no list to a segment with fewer than minSupport users', () => {
    const lists = computePopularityLists(segmentedDataset(3, 2), {
      minSupport: 3,
      segmentColumns: ['AGE', 'GENDER'],
    });
    expect(listOf(lists, 'u:AGE=30s&GENDER=m')).toBeUndefined();
    expect(listOf(lists, 'u:AGE=20s')).toBeUndefined();
    expect(listOf(lists, 'u:AGE=30s')).toBeDefined();
  });

  it('scores a coarse segment over all users of its refinements, supported or not', () => {
    const lists = computePopularityLists(segmentedDataset(4, 3), {
      minSupport: 4,
      segmentColumns: ['AGE', 'GENDER'],
    });
    // 4 f users view f1, 3 m users view m1: the 30s list still sees the m users.
    const thirties = listOf(lists, 'u:AGE=30s')!;
    expect(thirties.items.map((x) => x.itemId)).toEqual(['f1', 'f2', 'm1', 'common']);
    expect(thirties.items.find((x) => x.itemId === 'm1')!.score).toBeCloseTo(3 / 4, 6);
  });

  it('uses the segment columns in the given priority order', () => {
    const lists = computePopularityLists(segmentedDataset(3, 3), {
      minSupport: 3,
      segmentColumns: ['GENDER', 'AGE'],
    });
    expect(listOf(lists, 'u:GENDER=f&AGE=30s')).toBeDefined();
    expect(listOf(lists, 'u:GENDER=f')).toBeDefined();
    expect(listOf(lists, 'u:AGE=30s')).toBeUndefined();
  });

  it('normalises every list so that its best item scores 1 and all scores are in (0, 1]', () => {
    const lists = computePopularityLists(segmentedDataset(3, 3), { minSupport: 1 });
    for (const l of lists) {
      expect(l.items[0].score).toBe(1);
      for (const x of l.items) {
        expect(x.score).toBeGreaterThan(0);
        expect(x.score).toBeLessThanOrEqual(1);
      }
    }
  });

  it('does not count users without events towards support', () => {
    const b = new DatasetBuilder();
    for (let k = 0; k < 5; k++) b.addUser(`idle${k}`, { GENDER: 'f' });
    b.addUser('active', { GENDER: 'f' });
    b.addInteraction('active', 'x', T0, 'view');
    const lists = computePopularityLists(b.build(), { minSupport: 2 });
    expect(listOf(lists, 'u:GENDER=f')).toBeUndefined();
  });
});

describe('computePopularityLists: item attribute lists', () => {
  function catalog(): Dataset {
    const b = new DatasetBuilder();
    b.addItem('s1', { CATEGORY: 'shoes' });
    b.addItem('s2', { CATEGORY: 'shoes' });
    b.addItem('h1', { CATEGORY: 'hats|shoes' });
    b.addItem('unsold', { CATEGORY: 'hats' });
    // popularity: s2 (3 users) > h1 (2) > s1 (1)
    for (const [u, items] of [
      ['a', ['s2', 'h1', 's1']],
      ['b', ['s2', 'h1']],
      ['c', ['s2']],
    ] as const) {
      for (const i of items) b.addInteraction(u, i, T0, 'view');
    }
    return b.build();
  }

  it('lists the items of an attribute value by global popularity', () => {
    const lists = computePopularityLists(catalog());
    expect(idsOf(listOf(lists, 'i:CATEGORY=shoes'))).toEqual(['s2', 'h1', 's1']);
  });

  it('puts a multi-valued item in the list of each of its values, renormalised to best = 1', () => {
    const hats = listOf(computePopularityLists(catalog()), 'i:CATEGORY=hats')!;
    expect(hats.items).toEqual([{ itemId: 'h1', score: 1 }]);
  });

  it('only builds lists for the requested item columns', () => {
    const lists = computePopularityLists(catalog(), { itemColumns: [] });
    expect(lists.map((l) => l.segment)).toEqual(['global']);
  });
});

describe('trainPopularity', () => {
  function ds(): Dataset {
    const b = new DatasetBuilder();
    for (let k = 0; k < 3; k++) b.addInteraction(`u${k}`, 'top', T0, 'view');
    for (let k = 0; k < 2; k++) b.addInteraction(`u${k}`, 'second', T0, 'view');
    b.addInteraction('u0', 'third', T0, 'view');
    b.addInteraction('u9', 'fourth', T0 - DAY, 'view');
    return b.build();
  }

  it('recommends by global popularity', () => {
    const d = ds();
    expect(trainPopularity(d).name).toBe('popularity');
    expect(recommendIds(d, trainPopularity(d), 'u9', 3)).toEqual(['top', 'second', 'third']);
  });

  it('excludes items the user already saw', () => {
    const d = ds();
    expect(recommendIds(d, trainPopularity(d), 'u1', 10)).toEqual(['third', 'fourth']);
  });

  it('includes seen items when includeSeen is set', () => {
    const d = ds();
    expect(recommendIds(d, trainPopularity(d), 'u1', 2, true)).toEqual(['top', 'second']);
  });

  it('ranks every scored item, not only the top listSize', () => {
    const d = ds();
    expect(recommendIds(d, trainPopularity(d, { listSize: 1 }), 'u0', 5)).toEqual(['fourth']);
  });

  it('gives each call its own seen items when called for several users in a row', () => {
    const d = ds();
    const rec = trainPopularity(d);
    recommendIds(d, rec, 'u0', 10);
    expect(recommendIds(d, rec, 'u1', 10)).toEqual(recommendIds(d, trainPopularity(d), 'u1', 10));
  });

  it('recommends the global ranking to a user index outside the data', () => {
    const d = ds();
    const top = trainPopularity(d).recommend(d.users.size + 5, 2);
    expect(Array.from(top.items, (i) => d.items.ids[i])).toEqual(['top', 'second']);
  });
});

describe('trainSegmentPopularity', () => {
  it("recommends from the user's own segment list", () => {
    const d = segmentedDataset(3, 3);
    // includeSeen, because m0 has seen everything in the m list
    const rec = trainSegmentPopularity(d, { minSupport: 3, segmentColumns: ['AGE', 'GENDER'] });
    expect(rec.name).toBe('popularity:segment');
    expect(recommendIds(d, rec, 'm0', 2, true)).toEqual(['m1', 'common']);
  });

  it('backs off to the coarser segment when the specific one has too few users', () => {
    const d = segmentedDataset(3, 2);
    const rec = trainSegmentPopularity(d, { minSupport: 3, segmentColumns: ['AGE', 'GENDER'] });
    // m users have no list of their own, so they get the 30s list (dominated by the 3 f users)
    expect(recommendIds(d, rec, 'm0', 2, true)).toEqual(['f1', 'f2']);
  });

  it('fills from coarser lists after excluding seen items', () => {
    const d = segmentedDataset(3, 3);
    const rec = trainSegmentPopularity(d, { minSupport: 3, segmentColumns: ['AGE', 'GENDER'] });
    // the m list only has m1 and common (both seen), so the 30s list fills the rest
    expect(recommendIds(d, rec, 'm0', 2)).toEqual(['f1', 'f2']);
  });
});

describe('fillFromChain', () => {
  const items = (...ids: string[]): ScoredItem[] => ids.map((id, j) => ({ itemId: id, score: 1 - j / 10 }));
  const lists = new Map<string, readonly ScoredItem[]>([
    ['u:A=1&B=2', items('a', 'b')],
    ['u:A=1', items('b', 'c', 'd')],
    ['global', items('a', 'e', 'f')],
  ]);
  const chain = segmentChain({ A: '1', B: '2' }, ['A', 'B']);
  const never = () => false;

  it('takes the most specific list first and records the segment of each entry', () => {
    expect(fillFromChain(chain, lists, 2, never)).toEqual([
      { itemId: 'a', score: 1, segment: 'u:A=1&B=2' },
      { itemId: 'b', score: 0.9, segment: 'u:A=1&B=2' },
    ]);
  });

  it('fills from the next segment when the first runs short, without duplicates', () => {
    const got = fillFromChain(chain, lists, 5, never);
    expect(got.map((x) => x.itemId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(got.map((x) => x.segment)).toEqual(['u:A=1&B=2', 'u:A=1&B=2', 'u:A=1', 'u:A=1', 'global']);
  });

  it('skips NG items', () => {
    const ng = new Set(['a', 'c']);
    expect(fillFromChain(chain, lists, 3, (id) => ng.has(id)).map((x) => x.itemId)).toEqual(['b', 'd', 'e']);
  });

  it('passes over segments that have no list', () => {
    const got = fillFromChain(['u:A=9&B=9', 'u:A=9', 'global'], lists, 2, never);
    expect(got.map((x) => x.segment)).toEqual(['global', 'global']);
  });

  it('returns fewer than n items when every list is exhausted', () => {
    expect(fillFromChain(chain, lists, 100, never)).toHaveLength(6);
  });

  it('returns nothing for n <= 0', () => {
    expect(fillFromChain(chain, lists, 0, never)).toEqual([]);
  });
});

describe('determinism', () => {
  function randomDataset(seed: number): Dataset {
    const rng = new Rng(seed);
    const b = new DatasetBuilder();
    const types = ['view', 'cart', 'purchase'];
    for (let u = 0; u < 200; u++) {
      b.addUser(`u${u}`, { AGE: `${rng.int(4)}`, GENDER: rng.next() < 0.5 ? 'f' : 'm' });
      for (let k = 0; k < 10; k++) {
        b.addInteraction(`u${u}`, `i${rng.int(50)}`, T0 - rng.int(30) * DAY, types[rng.int(3)]);
      }
    }
    for (let i = 0; i < 50; i++) b.addItem(`i${i}`, { CATEGORY: `c${i % 5}` });
    return b.build();
  }

  it('produces identical lists for the same data', () => {
    expect(computePopularityLists(randomDataset(7), { minSupport: 10 })).toEqual(
      computePopularityLists(randomDataset(7), { minSupport: 10 }),
    );
  });

  it('breaks score ties by the lower item index', () => {
    const b = new DatasetBuilder();
    for (const id of ['z', 'y', 'x']) b.addItem(id, {});
    for (const id of ['x', 'z', 'y']) b.addInteraction('u1', id, T0, 'view');
    expect(idsOf(listOf(computePopularityLists(b.build()), 'global'))).toEqual(['z', 'y', 'x']);
  });
});
