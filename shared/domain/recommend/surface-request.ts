import { ValidationError } from '../errors.js';
import { type FilterUse, type PromotionUse, parseFilterUse, parsePromotions } from '../filters/request.js';
import { setOwn } from '../own-property.js';
import { MAX_NUM_RESULTS, parseExclude, parseId, parseIntParam } from './request.js';

/**
 * Query parameters of the list routes as OpenAPI lists them (tests/unit/surfaces-request.test.ts keeps
 * the two equal). Anything else is a 400 naming it, except users.csv columns on the user route.
 */
export const USER_LIST_PARAMETERS = [
  'numResults',
  'slot',
  'exclude',
  'arm',
  'metadata',
  'filter',
  'filterValues',
  'promotions',
] as const;
/**
 * Query parameters of the user and session routes: the list parameters, the repeat policy and `servedAt`
 * (admin: when the impression counts as served, for a simulation spread over days).
 */
export const USER_ROUTE_PARAMETERS = [...USER_LIST_PARAMETERS, 'repeat', 'servedAt'] as const;
/** Query parameters of the session route: the user route's and `items=`, the client-held recent items. */
export const SESSION_ROUTE_PARAMETERS = [...USER_ROUTE_PARAMETERS, 'items'] as const;
/** Most client-held recent items `items=` may carry (SESSION_RECENT_EVENTS bounds how many count). */
export const MAX_SESSION_ITEMS = 50;
export const ITEM_LIST_PARAMETERS = [...USER_LIST_PARAMETERS, 'userId'] as const;
export const RANKING_PARAMETERS = [...ITEM_LIST_PARAMETERS, 'category'] as const;
export const USER_RANKING_PARAMETERS = ['slot', 'arm', 'metadata', 'filter', 'filterValues'] as const;

/** Most input items of POST /users/{userId}/ranking (Personalize's GetPersonalizedRanking limit). */
export const MAX_INPUT_LIST = 500;

const ATTRIBUTE_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
const SLOT = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Column names of the latest dataset (undefined before the first nightly run). */
export interface KnownColumns {
  readonly users?: readonly string[];
  readonly items?: readonly string[];
}

/**
 * The configured column `name` stands for (case-insensitive), or undefined. Before the first run (no
 * columns known) an upper-case name is taken as it is.
 */
export function columnOf(name: string, columns: readonly string[] | undefined): string | undefined {
  if (columns === undefined) return ATTRIBUTE_NAME.test(name) ? name : undefined;
  const lower = name.toLowerCase();
  return columns.find((c) => c.toLowerCase() === lower);
}

/** A 400 naming every unknown parameter (the first one as the field). */
export function unknownParameters(names: readonly string[], allowed: readonly string[]): ValidationError {
  return new ValidationError(
    `unknown query parameter${names.length > 1 ? 's' : ''} ${names.map((n) => `'${n}'`).join(', ')}; allowed: ${allowed.join(', ')}`,
    names[0],
  );
}

/** Throws a 400 naming the parameters of `query` not in `allowed`. */
export function rejectUnknown(
  query: Readonly<Record<string, string | undefined>>,
  allowed: readonly string[],
): void {
  const unknown = Object.keys(query).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw unknownParameters(unknown, allowed);
}

/** `metadata=CATEGORY,PRICE_BAND`: item columns (case-insensitive, canonical names), at most `max`. */
export function parseMetadata(
  value: string | undefined,
  itemColumns: readonly string[] | undefined,
  max: number,
): string[] {
  if (value === undefined || value === '') return [];
  const names = [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
  if (names.length > max)
    throw new ValidationError(`metadata accepts at most ${max} columns, got ${names.length}`, 'metadata');
  return names.map((n) => {
    const column = columnOf(n, itemColumns);
    if (column === undefined)
      throw new ValidationError(
        `metadata column '${n}' is not an item attribute${itemColumns ? `; item columns: ${itemColumns.join(', ') || 'none'}` : ''}`,
        'metadata',
      );
    return column;
  });
}

/** The parameters every list route shares. */
export interface ListQuery {
  readonly numResults: number;
  readonly slot?: string;
  readonly exclude: readonly string[];
  readonly arm?: string;
  readonly metadata: readonly string[];
  /** `filter=<name>&filterValues=<JSON>`: a stored filter every item of the answer passes. */
  readonly filter?: FilterUse;
  /** `promotions=[...]`: a share of the list reserved for items passing another filter. */
  readonly promotions?: readonly PromotionUse[];
}

/** Parses the shared list parameters (names already checked). */
export function parseListQuery(
  query: Readonly<Record<string, string | undefined>>,
  defaultNumResults: number,
  columns: KnownColumns,
  maxMetadataColumns: number,
): ListQuery {
  const slot = query.slot;
  if (slot !== undefined && !SLOT.test(slot))
    throw new ValidationError(`slot '${slot}' is not a valid slot name`, 'slot');
  const arm = query.arm;
  if (arm !== undefined) parseId(arm, 'arm');
  return {
    numResults: parseIntParam(query.numResults, 'numResults', 1, MAX_NUM_RESULTS, defaultNumResults),
    slot,
    exclude: parseExclude(query.exclude),
    arm,
    metadata: parseMetadata(query.metadata, columns.items, maxMetadataColumns),
    filter: parseFilterUse(query.filter, query.filterValues),
    promotions: parsePromotions(query.promotions),
  };
}

/** GET /items/{itemId}/similar and /bought-together. */
export interface ItemListRequest extends ListQuery {
  readonly itemId: string;
  readonly userId?: string;
}

/** Parses an item surface's request; unknown parameters are a 400 naming them. */
export function parseItemListRequest(
  pathItemId: string | undefined,
  query: Readonly<Record<string, string | undefined>>,
  defaultNumResults: number,
  columns: KnownColumns,
  maxMetadataColumns: number,
): ItemListRequest {
  rejectUnknown(query, ITEM_LIST_PARAMETERS);
  const itemId = parseId(pathItemId, 'itemId');
  const userId = query.userId === undefined ? undefined : parseId(query.userId, 'userId');
  return { ...parseListQuery(query, defaultNumResults, columns, maxMetadataColumns), itemId, userId };
}

/** GET /rankings/{kind}. */
export interface RankingRequest extends ListQuery {
  readonly kind: string;
  readonly userId?: string;
  /** The item attribute restricting the ranking (canonical column name and value). */
  readonly attribute?: { readonly column: string; readonly value: string };
}

/**
 * Parses a ranking request. `category=` means the first item column whose name starts with CATEGORY;
 * any other parameter named like an item column (case-insensitive) restricts by that column. At most one.
 */
export function parseRankingRequest(
  pathKind: string | undefined,
  query: Readonly<Record<string, string | undefined>>,
  defaultNumResults: number,
  columns: KnownColumns,
  maxMetadataColumns: number,
  kinds: readonly string[],
): RankingRequest {
  const kind = pathKind ?? '';
  if (!kinds.includes(kind))
    throw new ValidationError(`kind '${kind}' is not one of ${kinds.join(', ')}`, 'kind');
  const attributes: { column: string; value: string; parameter: string }[] = [];
  const rest: Record<string, string | undefined> = {};
  const unknown: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if ((RANKING_PARAMETERS as readonly string[]).includes(name) && name !== 'category') {
      setOwn(rest, name, value);
      continue;
    }
    const column =
      name === 'category'
        ? (columns.items?.find((c) => /^category/i.test(c)) ?? (columns.items ? undefined : 'CATEGORY'))
        : columnOf(name, columns.items);
    if (column === undefined) {
      if (name === 'category')
        throw new ValidationError('category: the items have no CATEGORY column', 'category');
      unknown.push(name);
    } else if (value !== undefined) attributes.push({ column, value: parseId(value, name), parameter: name });
  }
  if (unknown.length > 0) throw unknownParameters(unknown, [...RANKING_PARAMETERS, 'an items.csv column']);
  if (attributes.length > 1)
    throw new ValidationError(
      `a ranking takes at most one item attribute, got ${attributes.map((a) => a.parameter).join(', ')}`,
      attributes[1].parameter,
    );
  const userId = rest.userId === undefined ? undefined : parseId(rest.userId, 'userId');
  const attribute = attributes[0] && { column: attributes[0].column, value: attributes[0].value };
  return { ...parseListQuery(rest, defaultNumResults, columns, maxMetadataColumns), kind, userId, attribute };
}

/** POST /users/{userId}/ranking. */
export interface UserRankingRequest {
  readonly userId: string;
  readonly inputList: readonly string[];
  readonly slot?: string;
  readonly arm?: string;
  readonly metadata: readonly string[];
  /** `filter=&filterValues=` as GetPersonalizedRanking takes them: input items failing it are dropped. */
  readonly filter?: FilterUse;
}

/** Parses a personalized-ranking request: `{inputList: [itemId, ...]}` (1..500 ids, repeats kept once). */
export function parseUserRankingRequest(
  pathUserId: string | undefined,
  query: Readonly<Record<string, string | undefined>>,
  body: unknown,
  columns: KnownColumns,
  maxMetadataColumns: number,
): UserRankingRequest {
  rejectUnknown(query, USER_RANKING_PARAMETERS);
  const userId = parseId(pathUserId, 'userId');
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ValidationError('the body must be a JSON object {"inputList": [...]}', 'body');
  const fields = Object.keys(body).filter((k) => k !== 'inputList');
  if (fields.length > 0)
    throw new ValidationError(
      `unknown body field${fields.length > 1 ? 's' : ''} ${fields.join(', ')}`,
      fields[0],
    );
  const list = (body as { inputList?: unknown }).inputList;
  if (!Array.isArray(list) || list.length === 0)
    throw new ValidationError('inputList must be a non-empty array of item ids', 'inputList');
  if (list.length > MAX_INPUT_LIST)
    throw new ValidationError(
      `inputList holds at most ${MAX_INPUT_LIST} item ids, got ${list.length}`,
      'inputList',
    );
  const ids = list.map((v, k) => {
    if (typeof v !== 'string')
      throw new ValidationError(`inputList[${k}] must be a string`, `inputList[${k}]`);
    return parseId(v, `inputList[${k}]`);
  });
  const { slot, arm, metadata, filter } = parseListQuery(
    {
      slot: query.slot,
      arm: query.arm,
      metadata: query.metadata,
      filter: query.filter,
      filterValues: query.filterValues,
    },
    1,
    columns,
    maxMetadataColumns,
  );
  return { userId, inputList: [...new Set(ids)], slot, arm, metadata, filter };
}
