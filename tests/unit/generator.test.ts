import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from '../../shared/cli/commands/generate.js';
import { topK } from '../../shared/domain/algorithms/top-k.js';
import type { Dataset } from '../../shared/domain/data/dataset.js';
import {
  DEFAULT_END,
  EVENT_TYPES,
  type GeneratedShop,
  generateShop,
  INTERACTION_HEADER,
  ITEM_HEADER,
  USER_HEADER,
  writeShop,
} from '../../shared/domain/data/generator.js';
import { loadDataset } from '../../shared/domain/data/loader.js';
import { ValidationError } from '../../shared/domain/errors.js';

const SMALL = { users: 300, items: 200, days: 14, seed: 7 };
const FILES = ['interactions.csv', 'users.csv', 'items.csv'] as const;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'osusume-generator-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function readAll(dir: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const f of FILES) out[f] = await readFile(join(dir, f));
  return out;
}

function lines(buf: Buffer): string[] {
  const text = buf.toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

/** Row indices of each user, in time order (stable for equal timestamps). */
function rowsByUser(d: Dataset): number[][] {
  const byUser: number[][] = Array.from({ length: d.users.size }, () => []);
  for (let r = 0; r < d.interactions.length; r++) byUser[d.interactions.user[r]].push(r);
  for (const rows of byUser)
    rows.sort((a, b) => d.interactions.timestamp[a] - d.interactions.timestamp[b] || a - b);
  return byUser;
}

function eventCounts(d: Dataset): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of EVENT_TYPES) counts[e] = 0;
  for (let r = 0; r < d.interactions.length; r++) counts[d.eventTypes.ids[d.interactions.eventType[r]]]++;
  return counts;
}

describe('writeShop', () => {
  it('writes the same bytes for the same seed', async () => {
    await writeShop(SMALL, join(tmp, 'a'));
    await writeShop(SMALL, join(tmp, 'b'));
    const a = await readAll(join(tmp, 'a'));
    const b = await readAll(join(tmp, 'b'));
    for (const f of FILES) expect(a[f].equals(b[f]), f).toBe(true);
  });

  it('writes different interactions for a different seed', async () => {
    await writeShop(SMALL, join(tmp, 'seed7'));
    await writeShop({ ...SMALL, seed: 8 }, join(tmp, 'seed8'));
    const a = await readAll(join(tmp, 'seed7'));
    const b = await readAll(join(tmp, 'seed8'));
    expect(a['interactions.csv'].equals(b['interactions.csv'])).toBe(false);
    expect(a['users.csv'].equals(b['users.csv'])).toBe(false);
  });

  it('writes every file of the contract with its header and the returned row counts', async () => {
    const dir = join(tmp, 'contract');
    const counts = await writeShop(SMALL, dir);
    const files = await readAll(dir);
    const inter = lines(files['interactions.csv']);
    const users = lines(files['users.csv']);
    const items = lines(files['items.csv']);
    expect(inter[0]).toBe(INTERACTION_HEADER);
    expect(users[0]).toBe(USER_HEADER);
    expect(items[0]).toBe(ITEM_HEADER);
    expect(inter.length - 1).toBe(counts.interactions);
    expect(users.length - 1).toBe(SMALL.users);
    expect(items.length - 1).toBe(SMALL.items);
    expect(counts).toMatchObject({ users: SMALL.users, items: SMALL.items });
  });

  it('writes well-formed interaction rows inside the period', async () => {
    const dir = join(tmp, 'rows');
    await writeShop(SMALL, dir);
    const rows = lines(await readFile(join(dir, 'interactions.csv'))).slice(1);
    const start = DEFAULT_END - SMALL.days * 86_400;
    const bad = rows.filter((row) => {
      const [user, item, ts, type, value, ...rest] = row.split(',');
      const t = Number(ts);
      return (
        rest.length > 0 ||
        !/^u\d{6}$/.test(user) ||
        !/^i\d{5}$/.test(item) ||
        !Number.isInteger(t) ||
        t < start ||
        t >= DEFAULT_END ||
        !(EVENT_TYPES as readonly string[]).includes(type) ||
        (type === 'purchase' ? !(Number(value) > 0) : value !== '')
      );
    });
    expect(rows.length).toBeGreaterThan(0);
    expect(bad).toEqual([]);
  });

  it('writes the same content as generateShop', async () => {
    const dir = join(tmp, 'same');
    await writeShop(SMALL, dir);
    const rows = lines(await readFile(join(dir, 'interactions.csv'))).slice(1);
    const { dataset: d } = generateShop(SMALL);
    const I = d.interactions;
    const expected: string[] = [];
    for (let r = 0; r < I.length; r++) {
      const value = Number.isNaN(I.eventValue[r]) ? '' : String(I.eventValue[r]);
      expected.push(
        [
          d.users.ids[I.user[r]],
          d.items.ids[I.item[r]],
          I.timestamp[r],
          d.eventTypes.ids[I.eventType[r]],
          value,
        ].join(','),
      );
    }
    expect(rows).toEqual(expected);
  });
  it('writes files that the CSV loader reads with no skipped row', async () => {
    const dir = join(tmp, 'load');
    const counts = await writeShop(SMALL, dir);
    const d = await loadDataset(dir, { maxBadRowShare: 0, maxBadRows: 0 });
    expect(d.stats.interactions).toMatchObject({ rows: counts.interactions, skipped: 0 });
    expect(d.stats.users).toMatchObject({ rows: SMALL.users, skipped: 0 });
    expect(d.stats.items).toMatchObject({ rows: SMALL.items, skipped: 0 });
    expect(d.userAttributes.map((c) => c.name).sort()).toEqual(['AGE_GROUP', 'GENDER', 'REGION']);
    expect(d.itemAttributes.map((c) => c.name).sort()).toEqual(['CATEGORY', 'PRICE_BAND']);
    expect(d.itemCreated?.every((t) => Number.isFinite(t))).toBe(true);
  });
});

describe('generateShop realism', () => {
  let shop: GeneratedShop;
  beforeAll(() => {
    shop = generateShop({ users: 1500, items: 600, seed: 3 });
  });

  it('keeps the funnel order view > favorite > cart > purchase', () => {
    const c = eventCounts(shop.dataset);
    expect(c.view).toBeGreaterThan(c.favorite);
    expect(c.favorite).toBeGreaterThan(c.cart);
    expect(c.cart).toBeGreaterThan(c.purchase);
    expect(c.purchase).toBeGreaterThan(0);
  });

  it('takes favorites, carts and purchases from items the user viewed before', () => {
    const d = shop.dataset;
    const I = d.interactions;
    const view = d.eventTypes.get('view');
    let funnel = 0;
    let orphans = 0;
    for (const rows of rowsByUser(d)) {
      const viewed = new Set<number>();
      for (const r of rows) {
        if (I.eventType[r] === view) viewed.add(I.item[r]);
        else {
          funnel++;
          if (!viewed.has(I.item[r])) orphans++;
        }
      }
    }
    expect(funnel).toBeGreaterThan(0);
    expect(orphans).toBe(0);
  });

  it('emits each user’s events in time order', () => {
    const { user, timestamp, length } = shop.dataset.interactions;
    let backwards = 0;
    for (let r = 1; r < length; r++)
      if (user[r] === user[r - 1] && timestamp[r] < timestamp[r - 1]) backwards++;
    expect(length).toBeGreaterThan(0);
    expect(backwards).toBe(0);
  });

  it('gives users power-law activity with heavy, light and cold users', () => {
    const d = shop.dataset;
    const perUser = new Int32Array(d.users.size);
    for (let r = 0; r < d.interactions.length; r++) perUser[d.interactions.user[r]]++;
    const sorted = Array.from(perUser).sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1];
    const mean = d.interactions.length / d.users.size;
    const cold = sorted.filter((n) => n <= 2).length;
    expect(sorted[0]).toBeGreaterThanOrEqual(1);
    expect(cold / d.users.size).toBeGreaterThan(0.02);
    expect(mean).toBeGreaterThan(median); // right-skewed
    expect(sorted[sorted.length - 1]).toBeGreaterThan(10 * median);
  });

  it('makes item popularity long-tailed', () => {
    const d = shop.dataset;
    const perItem = new Int32Array(d.items.size);
    for (let r = 0; r < d.interactions.length; r++) perItem[d.interactions.item[r]]++;
    const sorted = Array.from(perItem).sort((a, b) => b - a);
    const top10 = sorted.slice(0, Math.ceil(sorted.length / 10)).reduce((a, b) => a + b, 0);
    expect(top10 / d.interactions.length).toBeGreaterThan(0.3);
  });

  it('creates no interaction with an item before the item exists', () => {
    const d = shop.dataset;
    const I = d.interactions;
    let early = 0;
    for (let r = 0; r < I.length; r++) if (I.timestamp[r] < d.itemCreated![I.item[r]]) early++;
    // Guard against a vacuous pass: some items must be new arrivals created during the period.
    const start = DEFAULT_END - shop.options.days * 86_400;
    expect(d.itemCreated!.some((t) => t >= start)).toBe(true);
    expect(early).toBe(0);
  });
});

/**
 * Learnability: the planted structure must be recoverable from the data. Each user's last 20% of events
 * (by time) is held out; a scorer is credited for held-out items the user had not seen in training.
 */
describe('learnability of the generated shop', () => {
  const K = 10;
  interface Split {
    d: Dataset;
    /** Distinct training items per user (CSR). */
    trainPtr: Int32Array;
    trainItems: Int32Array;
    /** Users evaluated, and their relevant held-out items (distinct, unseen in training). */
    evalUsers: number[];
    relevant: Set<number>[];
  }
  let split: Split;

  beforeAll(() => {
    const { dataset: d } = generateShop({ users: 2000, items: 600, seed: 11 });
    const byUser = rowsByUser(d);
    const ptr = new Int32Array(d.users.size + 1);
    const flat: number[] = [];
    const evalUsers: number[] = [];
    const relevant: Set<number>[] = [];
    for (let u = 0; u < d.users.size; u++) {
      const rows = byUser[u];
      const cut = rows.length - Math.floor(rows.length * 0.2);
      const train = new Set(rows.slice(0, cut).map((r) => d.interactions.item[r]));
      flat.push(...[...train].sort((a, b) => a - b));
      ptr[u + 1] = flat.length;
      const test = new Set(
        rows
          .slice(cut)
          .map((r) => d.interactions.item[r])
          .filter((i) => !train.has(i)),
      );
      if (rows.length >= 5 && test.size > 0) {
        evalUsers.push(u);
        relevant.push(test);
      }
    }
    split = { d, trainPtr: ptr, trainItems: Int32Array.from(flat), evalUsers, relevant };
  });

  /** Mean precision@K of `score(u, out)` (higher is better), excluding the user's training items. */
  function precisionAtK(score: (u: number, out: Float32Array) => void): number {
    const { d, trainPtr, trainItems, evalUsers, relevant } = split;
    const scores = new Float32Array(d.items.size);
    const skip = new Uint8Array(d.items.size);
    let sum = 0;
    evalUsers.forEach((u, e) => {
      scores.fill(0);
      score(u, scores);
      for (let p = trainPtr[u]; p < trainPtr[u + 1]; p++) skip[trainItems[p]] = 1;
      const top = topK(scores, K, skip);
      for (let p = trainPtr[u]; p < trainPtr[u + 1]; p++) skip[trainItems[p]] = 0;
      let hits = 0;
      for (const i of top.items) if (relevant[e].has(i)) hits++;
      sum += hits / K;
    });
    return sum / evalUsers.length;
  }

  /** Number of training users per item. */
  function itemUsers(users?: (u: number) => boolean): Float32Array {
    const { d, trainPtr, trainItems } = split;
    const pop = new Float32Array(d.items.size);
    for (let u = 0; u < d.users.size; u++) {
      if (users && !users(u)) continue;
      for (let p = trainPtr[u]; p < trainPtr[u + 1]; p++) pop[trainItems[p]]++;
    }
    return pop;
  }

  function globalPopularity(): number {
    const pop = itemUsers();
    return precisionAtK((_u, out) => out.set(pop));
  }

  it('has enough evaluated users to compare scorers', () => {
    expect(split.evalUsers.length).toBeGreaterThan(500);
  });

  it('lets item-item co-occurrence beat global popularity on held-out items', () => {
    const { d, trainPtr, trainItems } = split;
    const M = d.items.size;
    const pop = itemUsers();
    // Dense item × item co-occurrence over distinct training items, cosine-normalised.
    const co = new Float32Array(M * M);
    for (let u = 0; u < d.users.size; u++) {
      for (let p = trainPtr[u]; p < trainPtr[u + 1]; p++) {
        const i = trainItems[p];
        for (let q = trainPtr[u]; q < trainPtr[u + 1]; q++) if (q !== p) co[i * M + trainItems[q]]++;
      }
    }
    for (let i = 0; i < M; i++)
      for (let j = 0; j < M; j++) if (co[i * M + j] > 0) co[i * M + j] /= Math.sqrt(pop[i] * pop[j]);
    const cooc = precisionAtK((u, out) => {
      for (let p = trainPtr[u]; p < trainPtr[u + 1]; p++) {
        const row = trainItems[p] * M;
        for (let j = 0; j < M; j++) out[j] += co[row + j];
      }
    });
    const global = globalPopularity();
    console.log(`precision@${K}: co-occurrence ${cooc.toFixed(4)}, global popularity ${global.toFixed(4)}`);
    expect(cooc).toBeGreaterThan(global * 1.3);
  });

  it('lets segment popularity (users with the same attributes) beat global popularity', () => {
    const { d } = split;
    const cols = d.userAttributes;
    const segmentKey = (u: number) => cols.map((c) => c.values[c.offsets[u]]).join('|');
    const bySegment = new Map<string, Float32Array>();
    for (let u = 0; u < d.users.size; u++) {
      const key = segmentKey(u);
      if (!bySegment.has(key))
        bySegment.set(
          key,
          itemUsers((v) => segmentKey(v) === key),
        );
    }
    const segment = precisionAtK((u, out) => out.set(bySegment.get(segmentKey(u))!));
    const global = globalPopularity();
    console.log(
      `precision@${K}: segment popularity ${segment.toFixed(4)}, global popularity ${global.toFixed(4)}`,
    );
    expect(segment).toBeGreaterThan(global * 1.1);
  });
});

describe('options validation', () => {
  it.each([
    ['users', 0],
    ['users', 'abc'],
    ['items', -5],
    ['days', 1.5],
    ['seed', 2 ** 33],
    ['end', 'not a date'],
  ])('rejects %s = %j with a ValidationError naming the option', (name, value) => {
    expect(() => generateShop({ [name]: value } as never)).toThrow(ValidationError);
    try {
      generateShop({ [name]: value } as never);
    } catch (err) {
      expect((err as ValidationError).parameter).toBe(name);
    }
  });

  it('accepts --end as an ISO date and ends the period there', () => {
    const end = Date.UTC(2025, 0, 1) / 1000;
    const { dataset: d } = generateShop({
      users: 50,
      items: 40,
      days: 7,
      end: '2025-01-01T00:00:00Z',
    } as never);
    const ts = d.interactions.timestamp;
    expect(ts.length).toBeGreaterThan(0);
    expect(ts.every((t) => t >= end - 7 * 86_400 && t < end)).toBe(true);
  });

  it('accepts numeric strings as given on the command line', () => {
    const shop = generateShop({ users: '20', items: '30', days: '3', seed: '5' } as never);
    expect(shop.dataset.users.size).toBe(20);
    expect(shop.dataset.items.size).toBe(30);
  });
});

describe('osusume generate', () => {
  function program(): Command {
    const p = new Command().exitOverride();
    register(p);
    return p;
  }

  it('writes the three files to --out', async () => {
    const dir = join(tmp, 'cli');
    const logged: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => logged.push(args.join(' '));
    try {
      await program().parseAsync(['generate', '--out', dir, '--users', '25', '--items', '40'], {
        from: 'user',
      });
    } finally {
      console.log = log;
    }
    const users = lines(await readFile(join(dir, 'users.csv')));
    expect(users.length - 1).toBe(25);
    expect(lines(await readFile(join(dir, 'items.csv'))).length - 1).toBe(40);
    expect(logged.join('\n')).toContain('25 users');
  });

  it('rejects a non-numeric --users with a ValidationError', async () => {
    await expect(
      program().parseAsync(['generate', '--out', join(tmp, 'bad'), '--users', 'many'], { from: 'user' }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});
