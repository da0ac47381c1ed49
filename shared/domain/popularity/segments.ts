import type { UserAttributes } from '../../ports/types.js';

/**
 * Segment keys for popularity lists. A user segment is the combination of a user's values for a prefix of
 * the priority-ordered segment columns (hierarchical back-off keeps the number of lists small); item
 * attribute lists are keyed per (column, value). Training and the request path both build keys here,
 * so they always agree.
 */

/** Key of the root list (all users). */
export const GLOBAL_SEGMENT = 'global';

/** Prefix of user segment keys. */
export const USER_SEGMENT_PREFIX = 'u:';

/** Prefix of item attribute list keys. */
export const ITEM_SEGMENT_PREFIX = 'i:';

// Only the key's own separators are escaped, so keys stay readable (also for non-ASCII values).
const escapePart = (s: string): string =>
  s.replace(/[%&=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The value a user attribute contributes to a segment: the first value of a multi-valued `a|b` field,
 * trimmed; undefined when missing or empty.
 */
export function segmentValue(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  for (const part of raw.split('|')) {
    const v = part.trim();
    if (v !== '') return v;
  }
  return undefined;
}

/** The (column, value) pairs of `attributes` for `columns`, in column order, skipping missing attributes. */
function presentPairs(attributes: UserAttributes, columns: readonly string[]): string[] {
  const pairs: string[] = [];
  for (const column of columns) {
    const value = segmentValue(Object.hasOwn(attributes, column) ? attributes[column] : undefined);
    if (value !== undefined) pairs.push(`${escapePart(column)}=${escapePart(value)}`);
  }
  return pairs;
}

/**
 * Segment key for a set of user attributes restricted to `columns` (in that order), e.g.
 * 'u:AGE_GROUP=30s&GENDER=f'. Missing attributes are skipped; with none present the key is GLOBAL_SEGMENT.
 * Multi-valued attributes use their first value.
 */
export function segmentKey(attributes: UserAttributes, columns: readonly string[]): string {
  const pairs = presentPairs(attributes, columns);
  return pairs.length === 0 ? GLOBAL_SEGMENT : USER_SEGMENT_PREFIX + pairs.join('&');
}

/**
 * Back-off chain for a user: most specific first, then coarser (drop the LAST column of the priority list
 * first), ending with 'global'. Attributes missing from `attributes` are skipped. e.g. columns
 * [AGE_GROUP, GENDER]: ['u:AGE_GROUP=30s&GENDER=f', 'u:AGE_GROUP=30s', 'global'].
 */
export function segmentChain(attributes: UserAttributes, columns: readonly string[]): string[] {
  const pairs = presentPairs(attributes, columns);
  const chain: string[] = [];
  for (let k = pairs.length; k > 0; k--) chain.push(USER_SEGMENT_PREFIX + pairs.slice(0, k).join('&'));
  chain.push(GLOBAL_SEGMENT);
  return chain;
}

/** Item attribute list key, e.g. 'i:CATEGORY=shoes'. */
export function itemSegmentKey(column: string, value: string): string {
  return `${ITEM_SEGMENT_PREFIX}${escapePart(column)}=${escapePart(value)}`;
}
