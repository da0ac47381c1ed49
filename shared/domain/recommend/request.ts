import { ValidationError } from '../errors.js';
import { idProblem } from '../ids.js';
import { type FilterUse, type PromotionUse, parseFilterUse, parsePromotions } from '../filters/request.js';
import { setOwn } from '../own-property.js';

/** A validated request for one user's recommendations. */
export interface RecommendationRequest {
  readonly userId: string;
  readonly numResults: number;
  /** Configured slot; undefined = the experiment config's default slot. */
  readonly slot?: string;
  /** Items the caller does not want (e.g. already in the cart). */
  readonly exclude: readonly string[];
  /** Attributes for users the system does not know yet (users.csv column names). */
  readonly attributes: Readonly<Record<string, string>>;
  /** QA override of the assigned arm (only honoured with the admin token). */
  readonly arm?: string;
  /** `filter=<name>&filterValues=<JSON>`: a stored filter every item of the answer passes. */
  readonly filter?: FilterUse;
  /** `promotions=[...]`: shares of the list reserved for items passing other filters. */
  readonly promotions?: readonly PromotionUse[];
}

export { MAX_ID_LENGTH } from '../ids.js';
export const MAX_EXCLUDES = 100;
export const MAX_NUM_RESULTS = 500;
const ATTRIBUTE_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
const SLOT = /^[a-z0-9][a-z0-9_-]{0,63}$/;

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
 * already URL-decoded); throws ValidationError naming the parameter. Upper-case query names
 * (`GENDER=f`) are user attributes; other unknown parameters are ignored (cache busters).
 */
export function parseRecommendationRequest(
  pathUserId: string | undefined,
  query: Readonly<Record<string, string | undefined>>,
  defaultNumResults: number,
): RecommendationRequest {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || !ATTRIBUTE_NAME.test(name)) continue;
    setOwn(attributes, name, parseId(value, name));
  }
  const slot = query.slot;
  if (slot !== undefined && !SLOT.test(slot))
    throw new ValidationError(`slot '${slot}' is not a valid slot name`, 'slot');
  const arm = query.arm;
  if (arm !== undefined) parseId(arm, 'arm');
  return {
    userId: parseId(pathUserId, 'userId'),
    numResults: parseIntParam(query.numResults, 'numResults', 1, MAX_NUM_RESULTS, defaultNumResults),
    slot,
    exclude: parseExclude(query.exclude),
    attributes,
    arm,
    filter: parseFilterUse(query.filter, query.filterValues),
    promotions: parsePromotions(query.promotions),
  };
}
