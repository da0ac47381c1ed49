/**
 * Live catalogue and user writes (POST /items, POST /users) in Amazon Personalize's PutItems / PutUsers
 * shapes: validation of a whole batch, the exported JSON line, and the nightly merge of those lines into
 * users/items CSV parts. Pure functions only: the use case and the pipeline do the I/O.
 */
import { ValidationError } from '../errors.js';
import { utcDay } from '../events/export.js';

/** Which dataset a write belongs to. */
export type CatalogKind = 'users' | 'items';

/** Limits of POST /items and POST /users (Personalize PutItems/PutUsers take at most 10 per call). */
export const CATALOG_LIMITS = {
  maxRecords: 10,
  maxIdLength: 256,
  /** Personalize's limit of a categorical value. */
  maxValueLength: 1000,
  maxProperties: 50,
  maxPropertiesBytes: 10_240,
} as const;

/** The id column of each kind, as users.csv / items.csv name it. */
export const ID_COLUMN = { users: 'USER_ID', items: 'ITEM_ID' } as const;
const LIST_FIELD = { users: 'users', items: 'items' } as const;
const ID_FIELD = { users: 'userId', items: 'itemId' } as const;

/** One validated write: the id and its attributes (upper-cased column name → value, `a|b` multi-valued). */
export interface CatalogRecord {
  readonly id: string;
  /** Column → value. A Map, never a plain object keyed by user input. */
  readonly properties: ReadonlyMap<string, string>;
}

// control characters break logs and CSV rows; lone surrogates cannot be encoded as UTF-8
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** A column name without a known schema: a letter, then letters, digits or `_` (so never `__proto__`). */
const COLUMN_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkText(value: string, parameter: string): void {
  if (CONTROL.test(value)) throw new ValidationError(`${parameter} contains control characters`, parameter);
  if (LONE_SURROGATE.test(value))
    throw new ValidationError(`${parameter} contains a lone surrogate`, parameter);
}

function id(value: unknown, parameter: string): string {
  if (typeof value !== 'string') throw new ValidationError(`${parameter} must be a string`, parameter);
  if (value.length === 0) throw new ValidationError(`${parameter} must not be empty`, parameter);
  if (value.length > CATALOG_LIMITS.maxIdLength)
    throw new ValidationError(
      `${parameter} is longer than ${CATALOG_LIMITS.maxIdLength} characters`,
      parameter,
    );
  checkText(value, parameter);
  return value;
}

/** One attribute value: a string, a number or boolean (as text), or a string array for `a|b`. */
function attributeValue(raw: unknown, parameter: string): string {
  let value: string;
  if (typeof raw === 'string') value = raw;
  else if (typeof raw === 'number' && Number.isFinite(raw)) value = String(raw);
  else if (typeof raw === 'boolean') value = String(raw);
  else if (Array.isArray(raw)) {
    if (raw.length === 0) throw new ValidationError(`${parameter} must not be an empty array`, parameter);
    raw.forEach((v, i) => {
      if (typeof v !== 'string' || v.length === 0)
        throw new ValidationError(`${parameter}[${i}] must be a non-empty string`, `${parameter}[${i}]`);
      if (v.includes('|'))
        throw new ValidationError(
          `${parameter}[${i}] must not contain '|' (the value separator)`,
          `${parameter}[${i}]`,
        );
    });
    value = raw.join('|');
  } else
    throw new ValidationError(`${parameter} must be a string, a number or an array of strings`, parameter);
  if (value.trim().length === 0) throw new ValidationError(`${parameter} must not be empty`, parameter);
  if (value.length > CATALOG_LIMITS.maxValueLength)
    throw new ValidationError(
      `${parameter} is longer than ${CATALOG_LIMITS.maxValueLength} characters`,
      parameter,
    );
  checkText(value, parameter);
  return value;
}

export interface ParseCatalogOptions {
  /**
   * The dataset's attribute columns (upper-case, from the latest run's users.csv / items.csv). When known,
   * a property must name one of them; when unknown (no run yet), any well-formed column name is taken.
   */
  readonly columns?: readonly string[];
}

/**
 * Validates a POST /users or POST /items body (`{users|items: [{userId|itemId, properties}]}`, 1..10
 * records). Properties are Personalize's JSON string or an object; keys match the dataset's columns
 * case-insensitively. Any invalid field rejects the whole batch with a ValidationError naming the index
 * and field (e.g. `items[3].properties.CATEGORY`), so nothing is half-applied.
 */
export function parseCatalogBatch(
  kind: CatalogKind,
  body: unknown,
  options: ParseCatalogOptions = {},
): CatalogRecord[] {
  const listField = LIST_FIELD[kind];
  const idField = ID_FIELD[kind];
  if (!isObject(body)) throw new ValidationError('the body must be a JSON object', 'body');
  const list = Object.hasOwn(body, listField) ? body[listField] : undefined;
  if (!Array.isArray(list)) throw new ValidationError(`${listField} must be an array`, listField);
  if (list.length < 1 || list.length > CATALOG_LIMITS.maxRecords)
    throw new ValidationError(
      `${listField} must hold 1 to ${CATALOG_LIMITS.maxRecords} records, got ${list.length}`,
      listField,
    );
  const known = options.columns && options.columns.length > 0 ? new Set(options.columns) : undefined;
  const seen = new Set<string>();
  return list.map((raw, i): CatalogRecord => {
    const at = `${listField}[${i}]`;
    if (!isObject(raw)) throw new ValidationError(`${at} must be an object`, at);
    const recordId = id(Object.hasOwn(raw, idField) ? raw[idField] : undefined, `${at}.${idField}`);
    if (seen.has(recordId))
      throw new ValidationError(`${at}.${idField} repeats an ${idField} of this batch`, `${at}.${idField}`);
    seen.add(recordId);
    let props: unknown = Object.hasOwn(raw, 'properties') ? raw.properties : undefined;
    const properties = new Map<string, string>();
    if (props === undefined || props === null) return { id: recordId, properties };
    if (typeof props === 'string') {
      if (Buffer.byteLength(props) > CATALOG_LIMITS.maxPropertiesBytes)
        throw new ValidationError(
          `${at}.properties exceeds ${CATALOG_LIMITS.maxPropertiesBytes} bytes`,
          `${at}.properties`,
        );
      try {
        props = JSON.parse(props);
      } catch {
        throw new ValidationError(`${at}.properties is not valid JSON`, `${at}.properties`);
      }
    }
    if (!isObject(props))
      throw new ValidationError(`${at}.properties must be a JSON object`, `${at}.properties`);
    const keys = Object.keys(props);
    if (keys.length > CATALOG_LIMITS.maxProperties)
      throw new ValidationError(
        `${at}.properties has more than ${CATALOG_LIMITS.maxProperties} attributes`,
        `${at}.properties`,
      );
    for (const key of keys) {
      const parameter = `${at}.properties.${key}`;
      const column = key.trim().toUpperCase();
      if (column === ID_COLUMN[kind] || column === 'CREATION_TIMESTAMP')
        throw new ValidationError(`${parameter}: ${column} cannot be set as a property`, parameter);
      if (known ? !known.has(column) : !COLUMN_NAME.test(column))
        throw new ValidationError(
          known
            ? `${parameter} is not a column of ${kind}.csv (columns: ${[...known].join(', ')})`
            : `${parameter} is not a column name (a letter, then letters, digits or _)`,
          parameter,
        );
      if (properties.has(column))
        throw new ValidationError(`${parameter} names the column ${column} twice`, parameter);
      properties.set(column, attributeValue(props[key], parameter));
    }
    return { id: recordId, properties };
  });
}

/** Where exported writes of a kind live in the artifact store (a Firehose prefix on AWS). */
export const catalogExportPrefix = (kind: CatalogKind) => `${kind}/`;

/** The day partition of an arrival time, as Firehose writes it with `dt=!{timestamp:yyyy-MM-dd}`. */
export const catalogExportPartition = (kind: CatalogKind, ms: number) =>
  `${catalogExportPrefix(kind)}dt=${utcDay(ms)}/`;

/** An accepted write and when it was accepted (the latest write of an attribute wins the merge). */
export interface CatalogWrite {
  readonly record: CatalogRecord;
  readonly writtenAt: number;
}

/** The exported JSON line of one write (newline-terminated, as Firehose concatenates records). */
export function catalogExportRecord(kind: CatalogKind, r: CatalogRecord, writtenAt: number): string {
  return `${JSON.stringify({ [ID_FIELD[kind]]: r.id, properties: Object.fromEntries(r.properties), writtenAt })}\n`;
}

/** Parses one exported line; undefined for a line that is not an exported write (counted, never fatal). */
export function parseCatalogExportRecord(
  kind: CatalogKind,
  line: string,
): { id: string; properties: Map<string, string>; writtenAt: number } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(v)) return undefined;
  const recordId = Object.hasOwn(v, ID_FIELD[kind]) ? v[ID_FIELD[kind]] : undefined;
  const props = Object.hasOwn(v, 'properties') ? v.properties : undefined;
  if (typeof recordId !== 'string' || recordId.length === 0 || !isObject(props)) return undefined;
  if (typeof v.writtenAt !== 'number' || !Number.isFinite(v.writtenAt)) return undefined;
  const properties = new Map<string, string>();
  for (const [k, value] of Object.entries(props)) {
    if (typeof value !== 'string' || value.length === 0) return undefined;
    properties.set(k, value);
  }
  return { id: recordId, properties, writtenAt: v.writtenAt };
}

/** Counts of one catalogue merge, for the run record. */
export interface CatalogMergeStats {
  readonly read: number;
  /** Distinct ids written to the snapshot's parts. */
  readonly merged: number;
  readonly malformed: number;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * Folds exported writes of one kind into one row per id: each attribute takes the value of the latest
 * write (by writtenAt; on a tie the one read last) that set it, so a write changes only what it names.
 */
export class CatalogMerger {
  private readonly byId = new Map<string, Map<string, { value: string; at: number }>>();
  private read = 0;
  private malformed = 0;

  constructor(private readonly kind: CatalogKind) {}

  accept(line: string): void {
    if (line.length === 0) return;
    this.read++;
    const r = parseCatalogExportRecord(this.kind, line);
    if (!r) {
      this.malformed++;
      return;
    }
    let attrs = this.byId.get(r.id);
    if (!attrs) {
      attrs = new Map();
      this.byId.set(r.id, attrs);
    }
    for (const [column, value] of r.properties) {
      const prev = attrs.get(column);
      if (!prev || prev.at <= r.writtenAt) attrs.set(column, { value, at: r.writtenAt });
    }
  }

  /**
   * CSV rows of the merged writes, `partRows` ids a part, with a header of the id column and every column
   * written. An empty cell means "not written": the loader keeps the CSV's value for it.
   */
  *parts(partRows: number): Generator<string> {
    const columns = new Set<string>();
    for (const attrs of this.byId.values()) for (const c of attrs.keys()) columns.add(c);
    const cols = [...columns].sort();
    const header = `${[ID_COLUMN[this.kind], ...cols].map(csvField).join(',')}\n`;
    let rows: string[] = [];
    for (const [recordId, attrs] of this.byId) {
      rows.push(`${[recordId, ...cols.map((c) => attrs.get(c)?.value ?? '')].map(csvField).join(',')}\n`);
      if (rows.length >= partRows) {
        yield header + rows.join('');
        rows = [];
      }
    }
    if (rows.length > 0) yield header + rows.join('');
  }

  stats(): CatalogMergeStats {
    return { read: this.read, merged: this.byId.size, malformed: this.malformed };
  }
}
