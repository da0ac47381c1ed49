/**
 * Importers converting public datasets into the Personalize 3-CSV contract read by loadDataset:
 * MovieLens 100K (ratings, demographics, genres) and Taobao UserBehavior (typed e-commerce events).
 * Inputs are streamed line by line, so the full 100M-row Taobao file converts in bounded memory
 * (apart from the item → category map).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { DataError } from '../errors.js';
import { ownValue } from '../own-property.js';
import { MAX_TIMESTAMP } from './loader.js';

/** What an importer wrote: data rows per file (header excluded) and the paths of the files. */
export interface ImportSummary {
  readonly interactions: number;
  readonly users: number;
  readonly items: number;
  /** Source rows left out (Taobao: timestamps outside [1970, 2100), which the loader would reject). */
  readonly skipped: number;
  readonly files: string[];
}

/** Taobao behavior_type → EVENT_TYPE. */
export const TAOBAO_EVENT_TYPES: Readonly<Record<string, string>> = {
  pv: 'view',
  fav: 'favorite',
  cart: 'cart',
  buy: 'purchase',
};

/** Age buckets of MovieLens 1M's demographics (and of typical shop profiles): <18, 18-24, ..., 56+. */
export function ageGroup(age: number): string {
  if (age < 18) return '<18';
  if (age < 25) return '18-24';
  if (age < 35) return '25-34';
  if (age < 45) return '35-44';
  if (age < 50) return '45-49';
  if (age < 56) return '50-55';
  return '56+';
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Parses a MovieLens release date `01-Jan-1995` into unix seconds (UTC), undefined when not parseable. */
export function parseMovieLensDate(text: string): number | undefined {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2].toLowerCase());
  const day = Number(m[1]);
  if (month === -1 || day < 1 || day > 31) return undefined;
  return Date.UTC(Number(m[3]), month, day) / 1000;
}

/** Yields the non-blank lines of a text file with their 1-based line numbers. */
async function* readLines(path: string, encoding: BufferEncoding): AsyncGenerator<[number, string]> {
  await requireFile(path);
  const rl = createInterface({
    input: createReadStream(path, { encoding }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (text.trim() !== '') yield [line, text];
  }
}

async function requireFile(path: string): Promise<void> {
  try {
    if ((await stat(path)).isFile()) return;
  } catch {
    // reported below
  }
  throw new DataError('file not found', path);
}

/** Streams rows into a CSV file with a header (csv-stringify quotes fields when RFC 4180 needs it). */
async function writeCsv(
  path: string,
  columns: string[],
  rows: Iterable<unknown[]> | AsyncIterable<unknown[]>,
): Promise<void> {
  await pipeline(Readable.from(rows), stringify({ header: true, columns }), createWriteStream(path));
}

function splitExact(text: string, sep: string, count: number, file: string, line: number): string[] {
  const f = text.split(sep);
  if (f.length !== count)
    throw new DataError(`expected ${count} fields separated by "${sep}", got ${f.length}`, file, line);
  return f;
}

function integerField(value: string, what: string, file: string, line: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n))
    throw new DataError(`${what} "${value}" is not an integer`, file, line);
  return n;
}

function timestampField(value: string, file: string, line: number): number {
  const t = integerField(value, 'timestamp', file, line);
  if (t < 0 || t >= MAX_TIMESTAMP) throw new DataError(`timestamp ${t} is out of range`, file, line);
  return t;
}

/**
 * Converts MovieLens 100K (`srcDir` holding u.data, u.user, u.item, u.genre) into `outDir`:
 * interactions.csv (EVENT_TYPE `rating`, EVENT_VALUE = the 1–5 rating), users.csv (AGE_GROUP, GENDER,
 * OCCUPATION) and items.csv (GENRES multi-valued `Action|Comedy`, CREATION_TIMESTAMP from the release date).
 * u.item is ISO-8859-1 and read as latin1. Malformed lines raise a DataError naming file and line.
 */
export async function importMovieLens(srcDir: string, outDir: string): Promise<ImportSummary> {
  const src = (name: string) => join(srcDir, name);
  for (const f of ['u.data', 'u.user', 'u.item', 'u.genre']) await requireFile(src(f));
  await mkdir(outDir, { recursive: true });
  const out = {
    interactions: join(outDir, 'interactions.csv'),
    users: join(outDir, 'users.csv'),
    items: join(outDir, 'items.csv'),
  };

  const genres: string[] = [];
  for await (const [line, text] of readLines(src('u.genre'), 'latin1')) {
    const [name, id] = splitExact(text, '|', 2, src('u.genre'), line);
    genres[integerField(id, 'genre id', src('u.genre'), line)] = name;
  }

  let interactions = 0;
  await writeCsv(
    out.interactions,
    ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE', 'EVENT_VALUE'],
    (async function* () {
      const file = src('u.data');
      for await (const [line, text] of readLines(file, 'utf8')) {
        const [user, item, rating, ts] = splitExact(text, '\t', 4, file, line);
        const value = integerField(rating, 'rating', file, line);
        yield [user, item, timestampField(ts, file, line), 'rating', value];
        interactions++;
      }
    })(),
  );

  let users = 0;
  await writeCsv(
    out.users,
    ['USER_ID', 'AGE_GROUP', 'GENDER', 'OCCUPATION'],
    (async function* () {
      const file = src('u.user');
      for await (const [line, text] of readLines(file, 'latin1')) {
        const [user, age, gender, occupation] = splitExact(text, '|', 5, file, line);
        yield [user, ageGroup(integerField(age, 'age', file, line)), gender, occupation];
        users++;
      }
    })(),
  );

  let items = 0;
  await writeCsv(
    out.items,
    ['ITEM_ID', 'GENRES', 'CREATION_TIMESTAMP'],
    (async function* () {
      const file = src('u.item');
      const flagCount = genres.length;
      for await (const [line, text] of readLines(file, 'latin1')) {
        const f = text.split('|');
        // id|title|release|video release|url|flags...: count from the end, so a '|' in a title cannot shift flags.
        if (f.length < 5 + flagCount) {
          throw new DataError(
            `expected ${5 + flagCount} fields separated by "|", got ${f.length}`,
            file,
            line,
          );
        }
        const flags = f.slice(f.length - flagCount);
        const names: string[] = [];
        flags.forEach((flag, g) => {
          if (flag === '1') names.push(genres[g]);
          else if (flag !== '0')
            throw new DataError(`genre flag ${g} is "${flag}", expected 0 or 1`, file, line);
        });
        const created = parseMovieLensDate(f[f.length - flagCount - 3]);
        yield [f[0], names.join('|'), created ?? ''];
        items++;
      }
    })(),
  );

  return { interactions, users, items, skipped: 0, files: [out.interactions, out.users, out.items] };
}

/**
 * Converts a Taobao UserBehavior CSV (`user_id,item_id,category_id,behavior_type,timestamp`, no header) into
 * `outDir`: interactions.csv with EVENT_TYPE pv→view, fav→favorite, cart→cart, buy→purchase, and items.csv
 * with CATEGORY (an item's first category seen). No users.csv: the dataset has no user attributes.
 * Rows with a timestamp outside [1970, 2100) are left out and counted in `skipped`; malformed lines (field
 * count, non-integer timestamp, unknown behavior) raise a DataError naming file and line.
 */
export async function importTaobao(srcFile: string, outDir: string): Promise<ImportSummary> {
  await requireFile(srcFile);
  await mkdir(outDir, { recursive: true });
  const out = { interactions: join(outDir, 'interactions.csv'), items: join(outDir, 'items.csv') };
  const category = new Map<string, string>();
  let interactions = 0;
  let skipped = 0;
  await writeCsv(
    out.interactions,
    ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE'],
    (async function* () {
      for await (const [line, text] of readLines(srcFile, 'utf8')) {
        const [user, item, cat, behavior, ts] = splitExact(text, ',', 5, srcFile, line);
        const type = ownValue(TAOBAO_EVENT_TYPES, behavior);
        if (type === undefined) {
          throw new DataError(
            `unknown behavior_type "${behavior}" (expected pv, fav, cart or buy)`,
            srcFile,
            line,
          );
        }
        const t = integerField(ts, 'timestamp', srcFile, line);
        // The full dataset has a few absurd clock values: drop them here rather than fail the whole import.
        if (t < 0 || t >= MAX_TIMESTAMP) {
          skipped++;
          continue;
        }
        if (!category.has(item)) category.set(item, cat);
        yield [user, item, t, type];
        interactions++;
      }
    })(),
  );
  await writeCsv(out.items, ['ITEM_ID', 'CATEGORY'], category.entries());
  return { interactions, users: 0, items: category.size, skipped, files: [out.interactions, out.items] };
}

/**
 * Converts session-rec's prepared format (tab-separated `SessionId ItemId Time` with that header, Time in
 * unix seconds, possibly fractional) into `outDir`: interactions.csv with SESSION_ID (and USER_ID = the
 * session: the visitors are anonymous), EVENT_TYPE `click`, TIMESTAMP floored to whole seconds (rows of a
 * session keep their file order on ties), items.csv and users.csv with the ids only.
 * A malformed line raises a DataError naming file and line.
 */
export async function importSessionRec(srcFile: string, outDir: string): Promise<ImportSummary> {
  await requireFile(srcFile);
  await mkdir(outDir, { recursive: true });
  const out = {
    interactions: join(outDir, 'interactions.csv'),
    users: join(outDir, 'users.csv'),
    items: join(outDir, 'items.csv'),
  };
  const items = new Set<string>();
  const sessions = new Set<string>();
  let interactions = 0;
  await writeCsv(
    out.interactions,
    ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE', 'SESSION_ID'],
    (async function* () {
      let first = true;
      for await (const [line, text] of readLines(srcFile, 'utf8')) {
        const [session, item, time] = splitExact(text.trimEnd(), '\t', 3, srcFile, line);
        if (first) {
          first = false;
          if (session !== 'SessionId' || item !== 'ItemId' || time !== 'Time')
            throw new DataError(
              `expected the header "SessionId<TAB>ItemId<TAB>Time", got "${text.slice(0, 60)}"`,
              srcFile,
              line,
            );
          continue;
        }
        if (session === '' || item === '')
          throw new DataError(`empty ${session === '' ? 'SessionId' : 'ItemId'}`, srcFile, line);
        const t = Number(time);
        if (time.trim() === '' || !Number.isFinite(t) || t < 0 || t >= MAX_TIMESTAMP)
          throw new DataError(`Time "${time}" is not unix seconds in [1970, 2100)`, srcFile, line);
        items.add(item);
        sessions.add(session);
        yield [session, item, Math.floor(t), 'click', session];
        interactions++;
      }
      if (first) throw new DataError('file is empty: expected the header SessionId, ItemId, Time', srcFile);
    })(),
  );
  await writeCsv(
    out.users,
    ['USER_ID'],
    Array.from(sessions, (s) => [s]),
  );
  await writeCsv(
    out.items,
    ['ITEM_ID'],
    Array.from(items, (i) => [i]),
  );
  return {
    interactions,
    users: sessions.size,
    items: items.size,
    skipped: 0,
    files: [out.interactions, out.users, out.items],
  };
}
