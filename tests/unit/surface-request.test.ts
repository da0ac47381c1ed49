import { describe, expect, it } from 'vitest';
import { parseRecommendationRequest } from '../../shared/domain/recommend/request.js';
import {
  ITEM_LIST_PARAMETERS,
  parseItemListRequest,
  parseRankingRequest,
  parseUserRankingRequest,
  RANKING_PARAMETERS,
  SESSION_ROUTE_PARAMETERS,
  USER_RANKING_PARAMETERS,
  USER_ROUTE_PARAMETERS,
} from '../../shared/domain/recommend/surface-request.js';
import { RANKING_KINDS } from '../../shared/domain/surfaces/item-surfaces.js';
import { openapi } from '../helpers/openapi.js';
import { rejected } from '../helpers/rejected.js';

const columns = { users: ['GENDER', 'AGE_GROUP'], items: ['CATEGORY', 'PRICE_BAND'] };

/** The query parameter names OpenAPI lists for an operation ($refs resolved). */
function documented(path: string, method: string): string[] {
  const op = (
    openapi.paths[path] as unknown as Record<
      string,
      { parameters: { $ref?: string; name?: string; in?: string }[] }
    >
  )[method];
  const params = (
    openapi.components as unknown as { parameters: Record<string, { name: string; in: string }> }
  ).parameters;
  return op.parameters
    .map((p) => (p.$ref ? params[p.$ref.split('/').pop() as string] : p))
    .filter((p) => p.in === 'query')
    .map((p) => p.name as string)
    .sort();
}

describe('list route parameters', () => {
  it('accepts exactly the query parameters OpenAPI lists, per route', () => {
    expect(documented('/users/{userId}/recommendations', 'get')).toEqual([...USER_ROUTE_PARAMETERS].sort());
    expect(documented('/sessions/{sessionId}/recommendations', 'get')).toEqual(
      [...SESSION_ROUTE_PARAMETERS].sort(),
    );
    expect(documented('/items/{itemId}/similar', 'get')).toEqual([...ITEM_LIST_PARAMETERS].sort());
    expect(documented('/items/{itemId}/bought-together', 'get')).toEqual([...ITEM_LIST_PARAMETERS].sort());
    expect(documented('/rankings/{kind}', 'get')).toEqual([...RANKING_PARAMETERS].sort());
    expect(documented('/users/{userId}/ranking', 'post')).toEqual([...USER_RANKING_PARAMETERS].sort());
  });

  it('rejects unknown parameters on the user route, naming them', () => {
    expect(() => parseRecommendationRequest('u1', { filterArn: 'x', context: 'y' }, 10, columns)).toThrow(
      /'filterArn', 'context'/,
    );
    expect(rejected(() => parseRecommendationRequest('u1', { context: 'y' }, 10, columns))).toBe('context');
  });

  it('takes user attributes by configured column, case-insensitively, under the column name', () => {
    const req = parseRecommendationRequest('u1', { gender: 'f', Age_Group: '30s' }, 10, columns);
    expect(req.attributes).toEqual({ GENDER: 'f', AGE_GROUP: '30s' });
  });

  it('takes upper-case names as attributes before the first run, and rejects other names', () => {
    expect(parseRecommendationRequest('u1', { GENDER: 'f' }, 10).attributes).toEqual({ GENDER: 'f' });
    expect(rejected(() => parseRecommendationRequest('u1', { gender: 'f' }, 10))).toBe('gender');
  });

  it('validates metadata columns against the item columns, at most the configured number', () => {
    const req = parseItemListRequest('i1', { metadata: 'category,PRICE_BAND' }, 10, columns, 2);
    expect(req.metadata).toEqual(['CATEGORY', 'PRICE_BAND']);
    expect(rejected(() => parseItemListRequest('i1', { metadata: 'COLOUR' }, 10, columns, 2))).toBe(
      'metadata',
    );
    expect(
      rejected(() => parseItemListRequest('i1', { metadata: 'CATEGORY,PRICE_BAND' }, 10, columns, 1)),
    ).toBe('metadata');
  });

  it('rejects unknown parameters on the item surfaces, naming them', () => {
    expect(rejected(() => parseItemListRequest('i1', { filterArn: 'x' }, 10, columns, 5))).toBe('filterArn');
  });

  it('maps category= and any item column to the ranking attribute, and allows at most one', () => {
    const byCategory = parseRankingRequest('trending', { category: 'toys' }, 10, columns, 5, RANKING_KINDS);
    expect(byCategory.attribute).toEqual({ column: 'CATEGORY', value: 'toys' });
    const byBand = parseRankingRequest('best-sellers', { price_band: 'low' }, 10, columns, 5, RANKING_KINDS);
    expect(byBand.attribute).toEqual({ column: 'PRICE_BAND', value: 'low' });
    expect(
      rejected(() =>
        parseRankingRequest(
          'trending',
          { category: 'toys', PRICE_BAND: 'low' },
          10,
          columns,
          5,
          RANKING_KINDS,
        ),
      ),
    ).toBe('PRICE_BAND');
    expect(rejected(() => parseRankingRequest('hot', {}, 10, columns, 5, RANKING_KINDS))).toBe('kind');
    expect(
      rejected(() => parseRankingRequest('trending', { colour: 'red' }, 10, columns, 5, RANKING_KINDS)),
    ).toBe('colour');
  });

  it('parses a ranking body: ids once each, at most 500, no other fields', () => {
    const req = parseUserRankingRequest('u1', {}, { inputList: ['a', 'b', 'a'] }, columns, 5);
    expect(req.inputList).toEqual(['a', 'b']);
    expect(rejected(() => parseUserRankingRequest('u1', {}, { inputList: [] }, columns, 5))).toBe(
      'inputList',
    );
    expect(rejected(() => parseUserRankingRequest('u1', {}, { inputList: ['a', 7] }, columns, 5))).toBe(
      'inputList[1]',
    );
    expect(
      rejected(() => parseUserRankingRequest('u1', {}, { inputList: Array(501).fill('x') }, columns, 5)),
    ).toBe('inputList');
    expect(
      rejected(() => parseUserRankingRequest('u1', {}, { inputList: ['a'], context: {} }, columns, 5)),
    ).toBe('context');
  });
});
