import { ValidationError } from '../domain/errors.js';
import { idProblem } from '../domain/ids.js';
import type { ScoredItem } from '../ports/types.js';

/**
 * Validation and encoding shared by the in-memory and DynamoDB adapters, so both reject the same inputs
 * and produce the same cursors (the contract tests hold them to identical semantics).
 */

/** Largest page the NG list returns at once; bigger requests are a caller bug, not a paging need. */
export const MAX_PAGE_LIMIT = 1000;

/** DynamoDB's smallest positive number magnitude; smaller scores are stored as 0 by both adapters. */
const MIN_DYNAMO_MAGNITUDE = 1e-130;

/** Throws unless `value` is a non-empty string. */
export function requireId(parameter: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(`${parameter} must be a non-empty string`, parameter);
  }
  return value;
}

/**
 * Throws unless `value` can be one segment of a `#`-joined key: non-empty and free of `#`
 * (otherwise `a#b` + `c` and `a` + `b#c` would collide).
 */
export function requireKeyPart(parameter: string, value: string): string {
  requireId(parameter, value);
  if (value.includes('#')) throw new ValidationError(`${parameter} must not contain '#'`, parameter);
  return value;
}

/** Parallel-array form of a ranked list: the compact shape both adapters store. */
export interface CompactList {
  readonly itemIds: string[];
  readonly scores: number[];
}

/**
 * Validates a ranked list and splits it into parallel arrays. Scores must be finite and within
 * ±2^53 (what the DynamoDB document client round-trips as a plain number).
 */
export function compactList(items: readonly ScoredItem[]): CompactList {
  const itemIds = new Array<string>(items.length);
  const scores = new Array<number>(items.length);
  for (let i = 0; i < items.length; i++) {
    const { itemId, score } = items[i];
    itemIds[i] = requireId('itemId', itemId);
    if (typeof score !== 'number' || !Number.isFinite(score) || Math.abs(score) > Number.MAX_SAFE_INTEGER) {
      throw new ValidationError(`score of ${itemId} must be a finite number within ±2^53`, 'score');
    }
    scores[i] = Math.abs(score) < MIN_DYNAMO_MAGNITUDE ? 0 : score;
  }
  return { itemIds, scores };
}

/** Inverse of compactList. */
export function expandList(itemIds: readonly string[], scores: readonly number[]): ScoredItem[] {
  const out = new Array<ScoredItem>(itemIds.length);
  for (let i = 0; i < itemIds.length; i++) out[i] = { itemId: itemIds[i], score: scores[i] };
  return out;
}

/** Throws unless `limit` is an integer in [1, MAX_PAGE_LIMIT]. */
export function requireLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new ValidationError(`limit must be an integer between 1 and ${MAX_PAGE_LIMIT}`, 'limit');
  }
  return limit;
}

/**
 * Longest cursor accepted: the base64url of a key of ids of at most MAX_ID_LENGTH characters is far
 * shorter, and a bound keeps a hostile cursor from costing a decode, a parse or a DynamoDB call.
 */
export const MAX_CURSOR_LENGTH = 2048;

/** Opaque page cursor: base64url of the JSON of the last returned key. */
export function encodeCursor(key: Readonly<Record<string, string>>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by encodeCursor, checking it carries exactly the string attributes `fields`.
 * Anything else (tampered, truncated, from another table) is a ValidationError on `cursor`.
 */
export function decodeCursor(cursor: string, fields: readonly string[]): Record<string, string> {
  const invalid = () => new ValidationError('invalid cursor', 'cursor');
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw invalid();
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const record = parsed as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length !== fields.length) throw invalid();
  for (const field of fields) {
    const value = record[field];
    // key attributes are ids: the same rule as the API's, so DynamoDB never sees an oversized key
    if (typeof value !== 'string' || idProblem(value) !== undefined) throw invalid();
  }
  return record as Record<string, string>;
}

/** Largest serialised pipeline record accepted (DynamoDB items are capped at 400 KB). */
export const MAX_RECORD_BYTES = 350 * 1024;

/** Serialises a pipeline record, rejecting values JSON cannot represent or that would not fit one item. */
export function serialiseRecord(key: string, value: unknown): string {
  requireId('key', key);
  const json = JSON.stringify(value);
  if (json === undefined) throw new ValidationError('record value must be JSON-serialisable', 'value');
  if (Buffer.byteLength(json, 'utf8') > MAX_RECORD_BYTES) {
    throw new ValidationError(`record ${key} exceeds ${MAX_RECORD_BYTES} bytes`, 'value');
  }
  return json;
}
