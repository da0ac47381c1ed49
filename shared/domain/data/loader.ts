/**
 * Streaming loader for the Amazon Personalize 3-CSV contract (interactions.csv, users.csv, items.csv) into an
 * interned, typed-array Dataset. Reads from a folder or from any Readable (an S3 GetObject body is one), so the
 * same code runs locally and on Lambda.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DataError, ValidationError } from '../errors.js';
import { DatasetBuilder } from './builder.js';
import type { Dataset, FileStats } from './dataset.js';
import { BadRows, type CsvSink, type DatasetSource, readCsv } from './loader-csv.js';

export type { DatasetSource } from './loader-csv.js';

/**
 * Options of {@link loadDataset} / {@link loadDatasetFromStreams}.
 *
 * Bad-row rule, per file: bad rows (empty or over-long id, bad timestamp, non-numeric EVENT_VALUE, wrong column
 * count, broken quoting) are skipped and counted in `dataset.stats`; a broken quoted record counts every physical
 * line it swallowed. The load fails with a DataError naming the first bad `file:line` when
 * `skipped > maxBadRows + floor(maxBadRowShare × rowsRead)`. Set both to 0 to reject any bad row. A quote that is
 * never closed and bytes that are not UTF-8 always fail the load, naming the line.
 */
export interface LoadOptions {
  /** Share of a file's data rows that may be bad and skipped (0..1). Default 0.01. */
  readonly maxBadRowShare?: number;
  /** Bad rows always tolerated on top of the share, so a tiny file with one typo still loads. Default 10. */
  readonly maxBadRows?: number;
}

/** Default of {@link LoadOptions.maxBadRowShare}. */
export const DEFAULT_MAX_BAD_ROW_SHARE = 0.01;
/** Default of {@link LoadOptions.maxBadRows}. */
export const DEFAULT_MAX_BAD_ROWS = 10;
/** Longest USER_ID / ITEM_ID accepted (Amazon Personalize's limit). */
export const MAX_ID_LENGTH = 256;
/** Timestamps must be unix seconds in [0, 2100-01-01T00:00:00Z). */
export const MAX_TIMESTAMP = Date.UTC(2100, 0, 1) / 1000;
/**
 * CREATION_TIMESTAMP may predate 1970 (a catalogue of old films or books), down to 1800-01-01; interaction
 * TIMESTAMPs may not.
 */
export const MIN_CREATION_TIMESTAMP = Date.UTC(1800, 0, 1) / 1000;

/** File names of the contract (matched case-insensitively in a folder). */
export const DATASET_FILES = {
  interactions: 'interactions.csv',
  users: 'users.csv',
  items: 'items.csv',
} as const;

/** A source opened only when its turn comes, so a failed load never leaves other files open. */
interface LazySource {
  readonly name: string;
  open(): Readable;
  dispose(): void;
}

/**
 * Loads a dataset folder holding interactions.csv (required), users.csv and items.csv (optional).
 * File names match case-insensitively. Errors are DataErrors naming the file (its path under `dir`) and line.
 *
 * Columns: interactions need USER_ID, ITEM_ID, TIMESTAMP (unix seconds in [1970, 2100)); EVENT_TYPE,
 * EVENT_VALUE and SESSION_ID are optional (with SESSION_ID, every row needs one) and other columns are ignored. In users.csv / items.csv every column except the
 * id (and items' CREATION_TIMESTAMP, which may go back to 1800) becomes a categorical attribute named by its
 * upper-cased header. `dataset.stats.<file>.rows` counts the data rows read (loaded + skipped), `skipped`
 * the bad rows left out (see {@link LoadOptions} for the rule), `errors` the first 20 as "file:line: message".
 */
export async function loadDataset(dir: string, options?: LoadOptions): Promise<Dataset> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(
      code === 'ENOENT' ? 'dataset folder not found' : code === 'ENOTDIR' ? 'not a folder' : String(err),
      dir,
    );
  }
  const find = (wanted: string): LazySource | undefined => {
    const name = names.find((n) => n.toLowerCase() === wanted);
    if (name === undefined) return undefined;
    const path = join(dir, name);
    return { name: path, open: () => createReadStream(path), dispose: () => {} };
  };
  const interactions = find(DATASET_FILES.interactions);
  if (!interactions) {
    throw new DataError(
      'file not found: a dataset folder needs interactions.csv (USER_ID,ITEM_ID,TIMESTAMP)',
      join(dir, DATASET_FILES.interactions),
    );
  }
  return load(interactions, find(DATASET_FILES.users), find(DATASET_FILES.items), options);
}

/**
 * Loads a dataset from already-open byte streams (e.g. S3 GetObject bodies). Each source's `name` is used in
 * error messages. Streams that are not consumed because the load failed early are destroyed.
 */
export async function loadDatasetFromStreams(
  sources: {
    interactions: DatasetSource;
    users?: DatasetSource;
    items?: DatasetSource;
    /** More interactions in the same schema (the API's exported events), read after interactions.csv. */
    events?: readonly LazyStream[];
    /**
     * Live writes (POST /users, POST /items) merged per id, read after users.csv / items.csv: a non-empty
     * cell replaces that id's value of the column, an empty one keeps it.
     */
    userParts?: readonly LazyStream[];
    itemParts?: readonly LazyStream[];
  },
  options?: LoadOptions,
): Promise<Dataset> {
  const lazy = (s: DatasetSource | undefined): LazySource | undefined =>
    s && { name: s.name, open: () => s.stream, dispose: () => s.stream.destroy() };
  const parts = (list: readonly LazyStream[] | undefined) =>
    (list ?? []).map((e) => ({ name: e.name, open: e.open, dispose: () => {} }));
  return load(
    lazy(sources.interactions)!,
    lazy(sources.users),
    lazy(sources.items),
    options,
    parts(sources.events),
    {
      users: parts(sources.userParts),
      items: parts(sources.itemParts),
    },
  );
}

/** A stream opened only when the loader reaches it (many parts must not all be open at once). */
export interface LazyStream {
  readonly name: string;
  open(): Readable;
}

function resolveLimits(options: LoadOptions | undefined): { maxBadRowShare: number; maxBadRows: number } {
  const maxBadRowShare = options?.maxBadRowShare ?? DEFAULT_MAX_BAD_ROW_SHARE;
  const maxBadRows = options?.maxBadRows ?? DEFAULT_MAX_BAD_ROWS;
  if (!(maxBadRowShare >= 0 && maxBadRowShare <= 1)) {
    throw new ValidationError(`maxBadRowShare must be in [0, 1], got ${maxBadRowShare}`, 'maxBadRowShare');
  }
  if (!(Number.isInteger(maxBadRows) && maxBadRows >= 0)) {
    throw new ValidationError(`maxBadRows must be a non-negative integer, got ${maxBadRows}`, 'maxBadRows');
  }
  return { maxBadRowShare, maxBadRows };
}

async function load(
  interactions: LazySource,
  users: LazySource | undefined,
  items: LazySource | undefined,
  options: LoadOptions | undefined,
  events: readonly LazySource[] = [],
  entityParts: { readonly users: readonly LazySource[]; readonly items: readonly LazySource[] } = {
    users: [],
    items: [],
  },
): Promise<Dataset> {
  const pending = [interactions, users, items, ...events, ...entityParts.users, ...entityParts.items].filter(
    (s): s is LazySource => s !== undefined,
  );
  try {
    const limits = resolveLimits(options);
    const builder = new DatasetBuilder();
    const take = (s: LazySource): DatasetSource => {
      pending.splice(pending.indexOf(s), 1);
      return { name: s.name, stream: s.open() };
    };

    const iStats = new BadRows(interactions.name);
    const hadHeader = await readCsv(take(interactions), interactionsSink(builder, interactions.name), iStats);
    if (!hadHeader) {
      throw new DataError(
        'file is empty: expected a header with USER_ID,ITEM_ID,TIMESTAMP',
        interactions.name,
      );
    }
    iStats.check(limits);
    let eStats: FileStats | undefined;
    for (const part of events) {
      const bad = new BadRows(part.name);
      await readCsv(take(part), interactionsSink(builder, part.name), bad);
      bad.check(limits);
      const st = bad.stats();
      eStats = eStats
        ? {
            file: eStats.file,
            rows: eStats.rows + st.rows,
            skipped: eStats.skipped + st.skipped,
            errors: [...eStats.errors, ...st.errors].slice(0, 20),
          }
        : st;
    }
    if (builder.interactionCount === 0) {
      const why =
        iStats.skipped > 0
          ? `all ${iStats.skipped} rows are bad (first: ${iStats.errors[0]})`
          : 'header only';
      throw new DataError(
        `no interaction rows (${why}): at least one interaction is needed`,
        interactions.name,
      );
    }
    // Uint16Array event types: more distinct values than that means EVENT_TYPE holds something else (ids?).
    if (builder.eventTypes.size > 0xffff) {
      throw new DataError(
        `EVENT_TYPE has ${builder.eventTypes.size - 1} distinct values (at most 65535)`,
        interactions.name,
      );
    }

    let uStats: FileStats | undefined;
    if (users) {
      const bad = new BadRows(users.name);
      await readCsv(
        take(users),
        entitySink('USER_ID', users.name, (id, attrs) => builder.addUser(id, attrs)),
        bad,
      );
      bad.check(limits);
      uStats = bad.stats();
    }
    for (const part of entityParts.users) {
      const bad = new BadRows(part.name);
      await readCsv(
        take(part),
        entitySink('USER_ID', part.name, (id, attrs) => builder.addUser(id, attrs), true),
        bad,
      );
      bad.check(limits);
    }
    let itStats: FileStats | undefined;
    if (items) {
      const bad = new BadRows(items.name);
      await readCsv(
        take(items),
        entitySink('ITEM_ID', items.name, (id, attrs, created) => builder.addItem(id, attrs, created)),
        bad,
      );
      bad.check(limits);
      itStats = bad.stats();
    }
    for (const part of entityParts.items) {
      const bad = new BadRows(part.name);
      await readCsv(
        take(part),
        entitySink('ITEM_ID', part.name, (id, attrs) => builder.addItem(id, attrs), true),
        bad,
      );
      bad.check(limits);
    }
    return builder.build({
      interactions: iStats.stats(),
      ...(eStats ? { events: eStats } : {}),
      users: uStats,
      items: itStats,
    });
  } finally {
    for (const s of pending) s.dispose();
  }
}

/** Upper-cased, trimmed header names; a duplicated known column is ambiguous and rejected. */
function normalizeHeader(fields: string[], known: readonly string[], file: string, line: number): string[] {
  const names = fields.map((f) => f.trim().toUpperCase());
  for (const k of known) {
    if (names.indexOf(k) !== names.lastIndexOf(k))
      throw new DataError(`column ${k} appears twice`, file, line);
  }
  return names;
}

function requireColumn(names: string[], column: string, file: string, line: number): number {
  const i = names.indexOf(column);
  if (i !== -1) return i;
  // A one-column header usually means another delimiter: say so instead of only "missing column".
  const hint =
    names.length === 1 && /[;\t|]/.test(names[0])
      ? ' (the header has a single column: is the file comma-separated?)'
      : ` (header: ${names.join(',')})`;
  throw new DataError(`missing required column ${column}${hint}`, file, line);
}

/** Trims surrounding blanks; the common case (none) costs two char-code reads and no allocation. */
function trimField(s: string): string {
  return s.length !== 0 && (s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32) ? s.trim() : s;
}

/** Returns an error message for a bad USER_ID / ITEM_ID, undefined when fine. */
function checkId(column: string, id: string): string | undefined {
  if (id.length === 0) return `empty ${column}`;
  if (id.length > MAX_ID_LENGTH) return `${column} longer than ${MAX_ID_LENGTH} characters (${id.length})`;
  return undefined;
}

/** Parses trimmed unix seconds; NaN when invalid (the caller reports {@link timestampError}). */
function parseTimestamp(raw: string, min = 0): number {
  if (raw.length === 0) return Number.NaN; // Number('') is 0, not an error
  const t = Number(raw);
  return t >= min && t < MAX_TIMESTAMP ? t : Number.NaN;
}

function timestampError(column: string, raw: string, min = 0): string {
  if (raw.length === 0) return `empty ${column}`;
  const t = Number(raw);
  if (Number.isNaN(t)) return `${column} "${clip(raw)}" is not a number (unix seconds expected)`;
  if (t < min) return min === 0 ? `${column} ${raw} is negative` : `${column} ${raw} is before year 1800`;
  if (t / 1000 < MAX_TIMESTAMP)
    return `${column} ${raw} is beyond year 2100 (milliseconds? unix seconds expected)`;
  return `${column} ${clip(raw)} is beyond year 2100`;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Sink for interactions.csv: header indices are mapped once, then each row goes straight into the builder. */
function interactionsSink(builder: DatasetBuilder, file: string): CsvSink {
  let ncols = 0;
  let iUser = -1;
  let iItem = -1;
  let iTs = -1;
  let iType = -1;
  let iValue = -1;
  let iSession = -1;
  return {
    header(fields, line) {
      const names = normalizeHeader(
        fields,
        ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE', 'EVENT_VALUE', 'SESSION_ID'],
        file,
        line,
      );
      ncols = names.length;
      iUser = requireColumn(names, 'USER_ID', file, line);
      iItem = requireColumn(names, 'ITEM_ID', file, line);
      iTs = requireColumn(names, 'TIMESTAMP', file, line);
      iType = names.indexOf('EVENT_TYPE');
      iValue = names.indexOf('EVENT_VALUE');
      iSession = names.indexOf('SESSION_ID');
      // one file of a dataset with sessions and one without would leave rows outside every session
      if (builder.interactionCount > 0 && (iSession !== -1) !== builder.sessions.size > 0)
        throw new DataError(
          iSession === -1
            ? 'missing column SESSION_ID (the interactions read before have one)'
            : 'column SESSION_ID is new here (the interactions read before have none)',
          file,
          line,
        );
    },
    row(r) {
      if (r.length !== ncols) return `expected ${ncols} columns, got ${r.length}`;
      const user = trimField(r[iUser]);
      const item = trimField(r[iItem]);
      const idError = checkId('USER_ID', user) ?? checkId('ITEM_ID', item);
      if (idError) return idError;
      const rawTs = trimField(r[iTs]);
      const ts = parseTimestamp(rawTs);
      if (Number.isNaN(ts)) return timestampError('TIMESTAMP', rawTs);
      let value = Number.NaN;
      if (iValue !== -1) {
        const raw = trimField(r[iValue]);
        if (raw.length !== 0) {
          value = Number(raw);
          if (!Number.isFinite(value)) return `EVENT_VALUE "${clip(raw)}" is not a number`;
        }
      }
      let type = '';
      if (iType !== -1) {
        type = trimField(r[iType]);
        if (type.length > MAX_ID_LENGTH) return `EVENT_TYPE longer than ${MAX_ID_LENGTH} characters`;
      }
      let session = '';
      if (iSession !== -1) {
        session = trimField(r[iSession]);
        const sessionError = checkId('SESSION_ID', session);
        if (sessionError) return sessionError;
      }
      builder.addInteraction(user, item, ts, type, value, session);
      return undefined;
    },
  };
}

/**
 * Sink for users.csv / items.csv: every column other than the id (and CREATION_TIMESTAMP) is a categorical
 * attribute named by its upper-cased header; `a|b` values are multi-valued (split by the builder).
 */
function entitySink(
  idColumn: 'USER_ID' | 'ITEM_ID',
  file: string,
  add: (id: string, attributes: Record<string, string>, createdAt?: number) => void,
  /** A merged part of live writes: an empty cell was not written, so it must not replace the CSV's value. */
  skipEmpty = false,
): CsvSink {
  let ncols = 0;
  let iId = -1;
  let iCreated = -1;
  let attrIndex: number[] = [];
  let attrNames: string[] = [];
  // One attributes object reused for every row: the builder copies values out and keeps no reference.
  const attrs: Record<string, string> = {};
  return {
    header(fields, line) {
      const names = normalizeHeader(fields, [idColumn, 'CREATION_TIMESTAMP'], file, line);
      ncols = names.length;
      iId = requireColumn(names, idColumn, file, line);
      iCreated = idColumn === 'ITEM_ID' ? names.indexOf('CREATION_TIMESTAMP') : -1;
      attrIndex = [];
      attrNames = [];
      names.forEach((name, i) => {
        if (i === iId || i === iCreated) return;
        if (name === '') throw new DataError(`column ${i + 1} has an empty name`, file, line);
        if (attrNames.includes(name)) throw new DataError(`column ${name} appears twice`, file, line);
        attrIndex.push(i);
        attrNames.push(name);
      });
    },
    row(r) {
      if (r.length !== ncols) return `expected ${ncols} columns, got ${r.length}`;
      const id = trimField(r[iId]);
      const idError = checkId(idColumn, id);
      if (idError) return idError;
      let created: number | undefined;
      const rawCreated = iCreated === -1 ? '' : trimField(r[iCreated]);
      if (rawCreated.length !== 0) {
        created = parseTimestamp(rawCreated, MIN_CREATION_TIMESTAMP);
        if (Number.isNaN(created))
          return timestampError('CREATION_TIMESTAMP', rawCreated, MIN_CREATION_TIMESTAMP);
      }
      if (skipEmpty) {
        const written: Record<string, string> = {};
        for (let k = 0; k < attrIndex.length; k++)
          if (r[attrIndex[k]].length > 0) written[attrNames[k]] = r[attrIndex[k]];
        add(id, written, created);
        return undefined;
      }
      for (let k = 0; k < attrIndex.length; k++) attrs[attrNames[k]] = r[attrIndex[k]];
      add(id, attrs, created);
      return undefined;
    },
  };
}
