import { ValidationError } from '../errors.js';
import { filterValueObject, filterValueStrings, parseValueStrings } from './compile.js';

/** A request's use of a named filter: its name and filterValues (as sent, and parsed). */
export interface FilterUse {
  readonly name: string;
  /** Placeholder → Personalize's value string, as sent (the Personalize arm forwards these). */
  readonly valueStrings: ReadonlyMap<string, string>;
  readonly values: ReadonlyMap<string, readonly (string | number)[]>;
}

/** A promotion (Personalize's `promotions`): a share of the list reserved for items passing a filter. */
export interface PromotionUse extends FilterUse {
  /** The promotion's name, written into each promoted item's `promotionName`. */
  readonly promotion: string;
  /** 1..100: the share of numResults reserved for promoted items. */
  readonly percentPromotedItems: number;
}

/** Personalize accepts one promotion per request. */
export const MAX_PROMOTIONS = 1;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/;
const MAX_PROMOTIONS_LENGTH = 4096;

function name(value: unknown, parameter: string): string {
  if (typeof value !== 'string' || !NAME.test(value))
    throw new ValidationError(
      `${parameter} must be a name of 1-63 letters, digits, '-' or '_', starting with a letter or digit`,
      parameter,
    );
  return value;
}

/** `filter=<name>&filterValues=<JSON object>`; undefined without `filter` (filterValues alone is a 400). */
export function parseFilterUse(
  filter: string | undefined,
  filterValues: string | undefined,
): FilterUse | undefined {
  if (filter === undefined || filter === '') {
    if (filterValues !== undefined && filterValues !== '')
      throw new ValidationError('filterValues needs filter=<name>', 'filterValues');
    return undefined;
  }
  const valueStrings = filterValueStrings(filterValues);
  return { name: name(filter, 'filter'), valueStrings, values: parseValueStrings(valueStrings) };
}

/**
 * `promotions=[{"name","filterName","percentPromotedItems","filterValues"?}]` (Personalize's Promotion with the
 * osusume filter's name in place of its ARN); [] when absent.
 */
export function parsePromotions(value: string | undefined): PromotionUse[] {
  if (value === undefined || value === '') return [];
  if (value.length > MAX_PROMOTIONS_LENGTH)
    throw new ValidationError(`promotions is at most ${MAX_PROMOTIONS_LENGTH} characters`, 'promotions');
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new ValidationError(
      'promotions must be a JSON array like [{"name":"sale","filterName":"on-sale","percentPromotedItems":20}]',
      'promotions',
    );
  }
  if (!Array.isArray(raw) || raw.length > MAX_PROMOTIONS)
    throw new ValidationError(
      `promotions must be a JSON array of at most ${MAX_PROMOTIONS} promotion`,
      'promotions',
    );
  return raw.map((p, k) => {
    const where = `promotions[${k}]`;
    if (typeof p !== 'object' || p === null || Array.isArray(p))
      throw new ValidationError(`${where} must be an object`, 'promotions');
    const fields = new Map(Object.entries(p));
    for (const key of fields.keys())
      if (!['name', 'filterName', 'percentPromotedItems', 'filterValues'].includes(key))
        throw new ValidationError(
          `${where}: unknown field '${key.slice(0, 60)}'; allowed: name, filterName, percentPromotedItems, filterValues`,
          'promotions',
        );
    const percent = fields.get('percentPromotedItems');
    if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 1 || percent > 100)
      throw new ValidationError(
        `${where}.percentPromotedItems must be an integer from 1 to 100`,
        'promotions',
      );
    const valueStrings = filterValueObject(fields.get('filterValues'), `${where}.filterValues`);
    return {
      promotion: name(fields.get('name'), `${where}.name`),
      name: name(fields.get('filterName'), `${where}.filterName`),
      percentPromotedItems: percent,
      valueStrings,
      values: parseValueStrings(valueStrings, `${where}.filterValues`),
    };
  });
}
