import { ValidationError } from '../errors.js';
import { parseSentAt } from '../events/events.js';
import { REPEAT_POLICIES, type RepeatPolicy } from '../experiments/experiments.js';
import { idProblem } from '../ids.js';
import type { FilterUse, PromotionUse } from '../filters/request.js';
import { setOwn } from '../own-property.js';
import {
  columnOf,
  type KnownColumns,
  MAX_SESSION_ITEMS,
  parseListQuery,
  USER_ROUTE_PARAMETERS,
  unknownParameters,
} from './surface-request.js';

/** A validated request for one user's (or one anonymous session's) recommendations. */
export interface RecommendationRequest {
  /**
   * The user; on the session route the session's id until the session carries a userId (the use case
   * then serves that user), which is how Personalize serves anonymous visitors too.
   */
  readonly userId: string;
  /** Set on `GET /sessions/{sessionId}/recommendations`: answer from that session's events. */
  readonly sessionId?: string;
  /**
   * `items=` of the session route: recent items the client holds, oldest first, counted after the session's
   * stored events as if viewed just now, and never written anywhere.
   */
  readonly recentItems?: readonly string[];
  /** Override of the slot's repeat policy (`repeat=allow|exclude`). */
  readonly repeat?: RepeatPolicy;
  readonly numResults: number;
  /** Configured slot; undefined = the experiment config's default slot. */
  readonly slot?: string;
  /** Items the caller does not want (e.g. already in the cart). */
  readonly exclude: readonly string[];
  /** Attributes for users the system does not know yet (users.csv column names). */
  readonly attributes: Readonly<Record<string, string>>;
  /** QA override of the assigned arm (only honoured with the admin token). */
  readonly arm?: string;
  /**
   * `servedAt=` (admin only, epoch ms): the time the served list's impression is recorded at, so that
   * `osusume simulate --days` can spread its traffic over past days as its backdated events are.
   */
  readonly servedAt?: number;
  /** `filter=<name>&filterValues=<JSON>`: a stored filter every item of the answer passes. */
  readonly filter?: FilterUse;
  /** `promotions=[...]`: shares of the list reserved for items passing other filters. */
  readonly promotions?: readonly PromotionUse[];
  /** Item attribute columns to return per item (`metadata=`). */
  readonly metadata?: readonly string[];
}

export { MAX_ID_LENGTH } from '../ids.js';
export const MAX_EXCLUDES = 100;
export const MAX_NUM_RESULTS = 500;
/** Most item columns `metadata=` may ask for, unless MAX_METADATA_COLUMNS says otherwise. */
export const DEFAULT_MAX_METADATA_COLUMNS = 10;

/** Validates a user or item id as Personalize does (1..256 chars, no control characters, well-formed Unicode). */
export function parseId(value: string | undefined, parameter: string): string {
  if (value === undefined || value.length === 0)
    throw new ValidationError(`${parameter} is required`, parameter);
  const problem = idProblem(value);
  if (problem) throw new ValidationError(`${parameter} ${problem}`, parameter);
  return value;
}

/** Parses an integer query parameter within [min, max], or returns the default when absent. */
export function parseIntParam(
  value: string | undefined,
  parameter: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined || value === '') return fallback;
  if (!/^-?\d+$/.test(value)) throw new ValidationError(`${parameter} must be an integer`, parameter);
  const n = Number(value);
  if (n < min || n > max)
    throw new ValidationError(`${parameter} must be between ${min} and ${max}`, parameter);
  return n;
}

/** Parses `exclude` (comma-separated item ids, at most MAX_EXCLUDES). */
export function parseExclude(value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  const ids = value.split(',').filter((s) => s !== '');
  if (ids.length > MAX_EXCLUDES)
    throw new ValidationError(
      `exclude accepts at most ${MAX_EXCLUDES} item ids, got ${ids.length}`,
      'exclude',
    );
  return ids.map((id) => parseId(id, 'exclude'));
}

/**
 * Builds a RecommendationRequest from path and query parameters (as API Gateway delivers them,
 * already URL-decoded); throws ValidationError naming the parameter. Parameters named like a users.csv
 * column (case-insensitive; before the first run: upper-case names, `GENDER=f`) are user attributes;
 * any other unknown parameter is a 400 naming it.
 */
export function parseRecommendationRequest(
  pathUserId: string | undefined,
  query: Readonly<Record<string, string | undefined>>,
  defaultNumResults: number,
  columns: KnownColumns = {},
  maxMetadataColumns = DEFAULT_MAX_METADATA_COLUMNS,
): RecommendationRequest {
  const attributes: Record<string, string> = {};
  const listed: Record<string, string | undefined> = {};
  const unknown: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if ((USER_ROUTE_PARAMETERS as readonly string[]).includes(name)) {
      setOwn(listed, name, value);
      continue;
    }
    const column = columnOf(name, columns.users);
    if (column === undefined) unknown.push(name);
    else if (value !== undefined) setOwn(attributes, column, parseId(value, name));
  }
  if (unknown.length > 0) throw unknownParameters(unknown, [...USER_ROUTE_PARAMETERS, 'a users.csv column']);
  const { repeat, servedAt, ...rest } = listed;
  const list = parseListQuery(rest, defaultNumResults, columns, maxMetadataColumns);
  return {
    ...list,
    ...parseRepeat(repeat),
    ...parseServedAt(servedAt),
    userId: parseId(pathUserId, 'userId'),
    attributes,
  };
}

/** `servedAt=`: ISO-8601 with a zone or unix seconds, as an event's sentAt. */
function parseServedAt(value: string | undefined): { servedAt?: number } {
  if (value === undefined) return {};
  const ms = parseSentAt(value);
  if (ms === undefined)
    throw new ValidationError(
      'servedAt must be an ISO-8601 date-time with a zone or unix seconds',
      'servedAt',
    );
  return { servedAt: ms };
}

/**
 * Checks `servedAt` against the clock as POST /events checks sentAt (not ahead by more than the skew, not
 * older than the event retention), so a backdated impression is stored only where its events can be.
 */
export function checkServedAt(servedAt: number, now: number, maxSkewMs: number, maxAgeMs: number): void {
  if (servedAt > now + maxSkewMs) throw new ValidationError('servedAt is in the future', 'servedAt');
  if (servedAt < now - maxAgeMs)
    throw new ValidationError('servedAt is older than the event retention', 'servedAt');
}

/** `repeat=allow|exclude`; absent = the slot's policy. */
function parseRepeat(value: string | undefined): { repeat?: RepeatPolicy } {
  if (value === undefined) return {};
  const policy = REPEAT_POLICIES.find((p) => p === value);
  if (!policy) throw new ValidationError(`repeat must be one of ${REPEAT_POLICIES.join(', ')}`, 'repeat');
  return { repeat: policy };
}

/**
 * The request of `GET /sessions/{sessionId}/recommendations`: the same query parameters as the user route,
 * answered from the session's events (userId starts as the sessionId; see RecommendationRequest.userId).
 */
export function parseSessionRecommendationRequest(
  pathSessionId: string | undefined,
  query: Readonly<Record<string, string | undefined>>,
  defaultNumResults: number,
  columns: KnownColumns = {},
  maxMetadataColumns = DEFAULT_MAX_METADATA_COLUMNS,
): RecommendationRequest {
  const sessionId = parseId(pathSessionId, 'sessionId');
  const { items, ...rest } = query;
  return {
    ...parseRecommendationRequest(sessionId, rest, defaultNumResults, columns, maxMetadataColumns),
    sessionId,
    ...(items !== undefined && items !== '' ? { recentItems: parseSessionItems(items) } : {}),
  };
}

/**
 * `items=i1,i2,i3`: well-formed item ids, at most MAX_SESSION_ITEMS. Ids the catalog does not know are
 * taken as they are (as POST /events takes them; a new item may not be in the nightly catalog yet) and
 * score nothing, so no catalog read is added to the request path.
 */
function parseSessionItems(value: string): string[] {
  const ids = value.split(',').filter((s) => s !== '');
  if (ids.length > MAX_SESSION_ITEMS)
    throw new ValidationError(
      `items accepts at most ${MAX_SESSION_ITEMS} item ids, got ${ids.length}`,
      'items',
    );
  return ids.map((id) => parseId(id, 'items'));
}
