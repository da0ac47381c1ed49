import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/domain/errors.js';
import { bindFilter, parseFilterValues, type UserInteractions } from '../../shared/domain/filters/compile.js';
import { catalogFromPages } from '../../shared/domain/filters/item-catalog.js';
import { parseFilterExpression } from '../../shared/domain/filters/parser.js';

const catalog = catalogFromPages([
  {
    ids: ['shoe1', 'shoe2', 'bag1', 'hat1', 'odd'],
    columns: [
      ['CATEGORY', ['shoes', 'shoes', 'bags', 'hats|sale', '']],
      ['PRICE', ['10', '25.5', '40', '5', 'n/a']],
    ],
  },
]);
const none: UserInteractions = new Map();
const ids = catalog.ids;

/** The catalogue items a filter lets through for a user with `interactions`. */
function passing(expression: string, values: Record<string, string> = {}, interactions = none): string[] {
  const bound = bindFilter(
    parseFilterExpression(expression),
    catalog,
    parseFilterValues(JSON.stringify(values)),
    'f',
  );
  return ids.filter((id) => bound.passes(id, interactions));
}

/** The message of the ValidationError `f` throws. */
function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof ValidationError) return err.message;
    throw err;
  }
  throw new Error('did not throw');
}

describe('filter expressions (Personalize syntax)', () => {
  it('includes only items whose attribute is in a literal list', () => {
    expect(passing('INCLUDE ItemID WHERE Items.CATEGORY IN ("shoes", "bags")')).toEqual([
      'shoe1',
      'shoe2',
      'bag1',
    ]);
  });

  it('excludes items whose attribute is in a placeholder bound by filterValues', () => {
    expect(
      passing('EXCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)', { CATEGORY: '"shoes","hats"' }),
    ).toEqual(['bag1', 'odd']);
  });

  it('matches any value of a multi-valued attribute', () => {
    expect(passing('INCLUDE ItemID WHERE Items.CATEGORY IN ("sale")')).toEqual(['hat1']);
  });

  it('negates a list with NOT IN', () => {
    expect(passing('INCLUDE ItemID WHERE Items.CATEGORY NOT IN ("shoes")')).toEqual(['bag1', 'hat1', 'odd']);
  });

  it('compares numeric attributes with <, >, <= and >=, skipping values that are not numbers', () => {
    expect(passing('INCLUDE ItemID WHERE Items.PRICE < 25.5')).toEqual(['shoe1', 'hat1']);
    expect(passing('INCLUDE ItemID WHERE Items.PRICE <= 25.5')).toEqual(['shoe1', 'shoe2', 'hat1']);
    expect(passing('INCLUDE ItemID WHERE Items.PRICE > $MIN', { MIN: '10' })).toEqual(['shoe2', 'bag1']);
    expect(passing('INCLUDE ItemID WHERE Items.PRICE >= 10')).toEqual(['shoe1', 'shoe2', 'bag1']);
  });

  it('binds AND tighter than OR, and parentheses override it', () => {
    const e =
      'INCLUDE ItemID WHERE Items.CATEGORY IN ("bags") OR Items.CATEGORY IN ("shoes") AND Items.PRICE > 20';
    expect(passing(e)).toEqual(['shoe2', 'bag1']);
    const p =
      'INCLUDE ItemID WHERE (Items.CATEGORY IN ("bags") OR Items.CATEGORY IN ("shoes")) AND Items.PRICE < 30';
    expect(passing(p)).toEqual(['shoe1', 'shoe2']);
  });

  it('drops what the user did an event of the listed types on (Interactions.EVENT_TYPE)', () => {
    const interactions: UserInteractions = new Map([
      ['shoe1', new Set(['purchase'])],
      ['bag1', new Set(['click'])],
    ]);
    expect(passing('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Purchase")', {}, interactions)).toEqual(
      ['shoe2', 'bag1', 'hat1', 'odd'],
    );
  });

  it('combines | expressions as Personalize does: any INCLUDE, minus any EXCLUDE', () => {
    const interactions: UserInteractions = new Map([['shoe2', new Set(['purchase'])]]);
    const e =
      'INCLUDE ItemID WHERE Items.CATEGORY IN ("shoes") | INCLUDE ItemID WHERE Items.CATEGORY IN ("bags") | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")';
    expect(passing(e, {}, interactions)).toEqual(['shoe1', 'bag1']);
  });

  it('leaves out an EXCLUDE expression whose placeholder has no value, as Personalize does', () => {
    const e =
      'INCLUDE ItemID WHERE Items.CATEGORY IN ("shoes", "bags") | EXCLUDE ItemID WHERE Items.CATEGORY IN ($NO)';
    expect(passing(e)).toEqual(['shoe1', 'shoe2', 'bag1']);
  });

  it('names a missing INCLUDE placeholder and an unused filterValues key', () => {
    expect(messageOf(() => passing('INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)'))).toContain(
      '$CATEGORY',
    );
    expect(
      messageOf(() => passing('INCLUDE ItemID WHERE Items.CATEGORY IN ("a")', { COLOUR: '"red"' })),
    ).toContain("'COLOUR'");
  });

  it('accepts keywords in any case', () => {
    expect(passing('include itemid where items.category in ("bags")')).toEqual(['bag1']);
  });

  it('names the position and the token of a syntax error', () => {
    expect(messageOf(() => parseFilterExpression('INCLUDE ItemID WHER Items.CATEGORY IN ("a")'))).toBe(
      "filter expression: expected WHERE at position 15, found 'WHER'",
    );
    expect(messageOf(() => parseFilterExpression('INCLUDE ItemID WHERE Items.CATEGORY IN ("a"'))).toBe(
      "filter expression: expected ')' at position 43, found the end of the expression",
    );
    expect(
      messageOf(() => parseFilterExpression('INCLUDE ItemID WHERE Items.CATEGORY IN ("a) | x')),
    ).toContain('unterminated string starting at position 40');
    expect(messageOf(() => parseFilterExpression('EXCLUDE ItemID WHERE Users.AGE IN ("a")'))).toContain(
      "expected Items or Interactions at position 21, found 'Users'",
    );
    expect(
      messageOf(() => parseFilterExpression('INCLUDE ItemID WHERE Interactions.EVENT_TYPE > 3')),
    ).toContain("'>' at position 45 compares only item attributes");
    expect(
      messageOf(() => parseFilterExpression('INCLUDE ItemID WHERE Items.CATEGORY IN ("a") INCLUDE')),
    ).toContain("expected '|' or the end of the expression at position 45, found 'INCLUDE'");
  });

  it('reads filterValues in Personalize format and names what is wrong with them', () => {
    expect([...parseFilterValues('{"CATEGORY":"\\"a\\",\\"b\\"","MAX":"10"}')]).toEqual([
      ['CATEGORY', ['a', 'b']],
      ['MAX', [10]],
    ]);
    expect(messageOf(() => parseFilterValues('{"CATEGORY":"a"}'))).toContain('filterValues.CATEGORY');
    expect(messageOf(() => parseFilterValues('[1]'))).toContain('JSON object');
    expect(messageOf(() => parseFilterValues('{"__proto__":1}'))).toContain('filterValues.__proto__');
  });

  it('confines an INCLUDE on an item attribute list to that attribute value lists, for the fill', () => {
    const bound = bindFilter(
      parseFilterExpression('INCLUDE ItemID WHERE Items.CATEGORY IN ($C) AND Items.PRICE < 30'),
      catalog,
      parseFilterValues('{"C":"\\"shoes\\",\\"hats\\""}'),
    );
    expect(bound.includeLists).toEqual([
      ['CATEGORY', 'shoes'],
      ['CATEGORY', 'hats'],
    ]);
  });
});
