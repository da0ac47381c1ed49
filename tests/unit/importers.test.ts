import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type CategoricalColumn, firstValue } from '../../shared/domain/data/dataset.js';
import {
  ageGroup,
  importMovieLens,
  importTaobao,
  parseMovieLensDate,
} from '../../shared/domain/data/importers.js';
import { loadDataset } from '../../shared/domain/data/loader.js';
import { DataError } from '../../shared/domain/errors.js';

// The read-only datasets live beside the repository: <repo>/../shared/data.
const DATA = fileURLToPath(new URL('../../../shared/data', import.meta.url));
const ML = join(DATA, 'ml-100k');
const TAOBAO = join(DATA, 'taobao-userbehavior-head/UserBehavior_head.csv');
const hasMl = existsSync(join(ML, 'u.data'));
const hasTaobao = existsSync(TAOBAO);

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'osusume-import-'));
  dirs.push(dir);
  return dir;
}

function values(col: CategoricalColumn, entity: number): string[] {
  const out: string[] = [];
  for (let k = col.offsets[entity]; k < col.offsets[entity + 1]; k++) out.push(col.dict.ids[col.values[k]]);
  return out;
}

describe('importer helpers', () => {
  it('buckets ages into the MovieLens demographic groups', () => {
    expect([7, 17, 18, 24, 25, 34, 35, 44, 45, 49, 50, 55, 56, 73].map(ageGroup)).toEqual([
      '<18',
      '<18',
      '18-24',
      '18-24',
      '25-34',
      '25-34',
      '35-44',
      '35-44',
      '45-49',
      '45-49',
      '50-55',
      '50-55',
      '56+',
      '56+',
    ]);
  });

  it('parses MovieLens release dates as UTC unix seconds, including pre-1970 ones', () => {
    expect(parseMovieLensDate('01-Jan-1995')).toBe(Date.UTC(1995, 0, 1) / 1000);
    expect(parseMovieLensDate('22-Mar-1939')).toBe(Date.UTC(1939, 2, 22) / 1000);
    expect(parseMovieLensDate('')).toBeUndefined();
    expect(parseMovieLensDate('01-Foo-1995')).toBeUndefined();
  });
});

describe('importMovieLens on a small hand-made copy', () => {
  async function miniMovieLens(uData: string): Promise<string> {
    const src = await tempDir();
    const flags = (on: number[]) =>
      Array.from({ length: 19 }, (_, g) => (on.includes(g) ? '1' : '0')).join('|');
    await writeFile(join(src, 'u.data'), uData);
    await writeFile(join(src, 'u.user'), '1|24|M|technician|85711\n2|53|F|other|94043\n');
    await writeFile(
      join(src, 'u.genre'),
      "unknown|0\nAction|1\nAdventure|2\nAnimation|3\nChildren's|4\nComedy|5\nCrime|6\nDocumentary|7\nDrama|8\nFantasy|9\nFilm-Noir|10\nHorror|11\nMusical|12\nMystery|13\nRomance|14\nSci-Fi|15\nThriller|16\nWar|17\nWestern|18\n\n",
    );
    // latin1 bytes, like the real u.item ("Misérables" has é = 0xE9).
    const uItem = `10|Les Misérables (1995)|01-Jan-1995||http://x|${flags([1, 5])}\n11|Old (1939)|22-Mar-1939||http://y|${flags([8])}\n12|unknown||||${flags([0])}\n`;
    await writeFile(join(src, 'u.item'), Buffer.from(uItem, 'latin1'));
    return src;
  }

  it('writes the three CSVs that the loader reads back', async () => {
    const src = await miniMovieLens('1\t10\t4\t881250949\n2\t11\t2\t881250950\n');
    const out = await tempDir();
    const summary = await importMovieLens(src, out);
    expect(summary).toMatchObject({ interactions: 2, users: 2, items: 3 });
    const d = await loadDataset(out);
    expect(d.interactions.length).toBe(2);
    expect(d.eventTypes.ids[d.interactions.eventType[0]]).toBe('rating');
    expect(d.interactions.eventValue[0]).toBe(4);
    const age = d.userAttributes.find((c) => c.name === 'AGE_GROUP')!;
    expect(firstValue(age, d.users.get('2'))).toBe('50-55');
    const genres = d.itemAttributes.find((c) => c.name === 'GENRES')!;
    expect(values(genres, d.items.get('10'))).toEqual(['Action', 'Comedy']);
    expect(d.itemCreated![d.items.get('11')]).toBe(Date.UTC(1939, 2, 22) / 1000);
    expect(Number.isNaN(d.itemCreated![d.items.get('12')])).toBe(true);
  });

  it('names file and line of a malformed u.data line', async () => {
    const src = await miniMovieLens('1\t10\t4\t881250949\n2\t11\tfive\t881250950\n');
    const err = await importMovieLens(src, await tempDir()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(`${join(src, 'u.data')}:2: rating "five" is not an integer`);
  });

  it('names a missing source file', async () => {
    const src = await tempDir();
    await expect(importMovieLens(src, await tempDir())).rejects.toThrow(
      `${join(src, 'u.data')}: file not found`,
    );
  });
});

describe('importTaobao on a small hand-made file', () => {
  it('maps behavior types to event types and writes item categories', async () => {
    const src = join(await tempDir(), 'ub.csv');
    await writeFile(
      src,
      '1,100,7,pv,1511544070\n1,101,8,fav,1511544071\n2,100,7,cart,1511544072\n2,102,9,buy,1511544073\n',
    );
    const out = await tempDir();
    expect(await importTaobao(src, out)).toMatchObject({ interactions: 4, users: 0, items: 3 });
    expect(existsSync(join(out, 'users.csv'))).toBe(false);
    const d = await loadDataset(out);
    expect([...d.interactions.eventType].map((t) => d.eventTypes.ids[t])).toEqual([
      'view',
      'favorite',
      'cart',
      'purchase',
    ]);
    expect(firstValue(d.itemAttributes[0], d.items.get('102'))).toBe('9');
  });

  it('leaves out rows with an out-of-range timestamp and counts them', async () => {
    const src = join(await tempDir(), 'ub.csv');
    await writeFile(src, '1,100,7,pv,1511544070\n1,101,8,pv,-3600\n1,102,8,pv,9999999999999\n');
    const out = await tempDir();
    expect(await importTaobao(src, out)).toMatchObject({ interactions: 1, items: 1, skipped: 2 });
    expect((await loadDataset(out)).stats.interactions.skipped).toBe(0);
  });

  it('rejects an unknown behavior type with file and line', async () => {
    const src = join(await tempDir(), 'ub.csv');
    await writeFile(src, '1,100,7,pv,1511544070\n1,101,8,like,1511544071\n');
    await expect(importTaobao(src, await tempDir())).rejects.toThrow(
      `${src}:2: unknown behavior_type "like"`,
    );
  });
});

describe('importers on the real datasets in shared/data', () => {
  it.skipIf(!hasMl)(`imports MovieLens 100K${hasMl ? '' : ` — skipped: ${ML} not present`}`, async () => {
    const out = await tempDir();
    await importMovieLens(ML, out);
    const d = await loadDataset(out);
    expect(d.interactions.length).toBe(100_000);
    expect(d.users.size).toBe(943);
    expect(d.items.size).toBe(1682);
    expect(d.stats.interactions.skipped + d.stats.users!.skipped + d.stats.items!.skipped).toBe(0);
    // Rating histogram from the dataset README.
    const hist = [0, 0, 0, 0, 0, 0];
    for (let r = 0; r < d.interactions.length; r++) hist[d.interactions.eventValue[r]]++;
    expect(hist.slice(1)).toEqual([6110, 11370, 27145, 34174, 21201]);
    const genres = d.itemAttributes.find((c) => c.name === 'GENRES')!;
    expect(values(genres, d.items.get('1'))).toEqual(['Animation', "Children's", 'Comedy']);
  });

  it.skipIf(!hasTaobao)(
    `imports the Taobao UserBehavior head${hasTaobao ? '' : ` — skipped: ${TAOBAO} not present`}`,
    async () => {
      const out = await tempDir();
      await importTaobao(TAOBAO, out);
      const d = await loadDataset(out);
      expect(d.interactions.length).toBe(84_287);
      expect(d.users.size).toBe(814);
      expect(d.items.size).toBe(55_233);
      const counts = new Map<string, number>();
      for (let r = 0; r < d.interactions.length; r++) {
        const t = d.eventTypes.ids[d.interactions.eventType[r]];
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      expect(Object.fromEntries(counts)).toEqual({
        view: 75_693,
        cart: 4494,
        favorite: 2351,
        purchase: 1749,
      });
      expect(d.itemAttributes[0].dict.size).toBe(2911);
    },
  );
});
