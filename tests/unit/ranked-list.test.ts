import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { fromListItem, toListItem } from '../../shared/adapters/dynamodb/ranked-list.js';

const items = [
  { itemId: 'a,"b"', score: 4.123456789 },
  { itemId: 'ü\nz', score: -0.5 },
  { itemId: 'c', score: 0 },
];
// what DynamoDB stores and returns, through the document client's marshalling
const stored = (item: object) => unmarshall(marshall(item, { removeUndefinedValues: true }));

describe('ranked list items', () => {
  it('round-trips ids with any characters and exact float64 scores', () => {
    expect(fromListItem(stored(toListItem('rec#x', items, 1)))).toEqual(items);
  });

  it('stores an empty list', () => {
    expect(fromListItem(stored(toListItem('rec#x', [], 1)))).toEqual([]);
  });

  it('reads a list stored in the two-list shape of earlier versions', () => {
    const legacy = { pk: 'rec#x', itemIds: ['a', 'b'], scores: [2, 1], expiresAt: 1 };
    expect(fromListItem(stored(legacy))).toEqual([
      { itemId: 'a', score: 2 },
      { itemId: 'b', score: 1 },
    ]);
  });

  it('rejects a non-finite score when building the item', () => {
    expect(() => toListItem('rec#x', [{ itemId: 'a', score: Number.NaN }], 1)).toThrow(/score of a/);
  });
});
