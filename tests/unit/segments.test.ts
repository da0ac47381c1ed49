import { describe, expect, it } from 'vitest';
import {
  GLOBAL_SEGMENT,
  itemSegmentKey,
  segmentChain,
  segmentKey,
  segmentValue,
} from '../../shared/domain/popularity/segments.js';

describe('segmentKey', () => {
  it('joins the columns in the given priority order, not the attribute order', () => {
    expect(segmentKey({ GENDER: 'f', AGE_GROUP: '30s' }, ['AGE_GROUP', 'GENDER'])).toBe(
      'u:AGE_GROUP=30s&GENDER=f',
    );
  });

  it('ignores attributes that are not segment columns', () => {
    expect(segmentKey({ AGE_GROUP: '30s', CITY: 'tokyo' }, ['AGE_GROUP'])).toBe('u:AGE_GROUP=30s');
  });

  it('skips missing and empty attributes', () => {
    expect(segmentKey({ AGE_GROUP: '', GENDER: 'f' }, ['AGE_GROUP', 'REGION', 'GENDER'])).toBe('u:GENDER=f');
  });

  it('is the global segment when no column is present', () => {
    expect(segmentKey({ CITY: 'tokyo' }, ['AGE_GROUP'])).toBe(GLOBAL_SEGMENT);
  });

  it('uses the first value of a multi-valued attribute', () => {
    expect(segmentKey({ HOBBY: 'golf|tennis' }, ['HOBBY'])).toBe('u:HOBBY=golf');
    expect(segmentValue(' | golf')).toBe('golf');
  });

  it('escapes the key separators so that different attributes never collide', () => {
    const a = segmentKey({ A: 'x&B=y' }, ['A', 'B']);
    const b = segmentKey({ A: 'x', B: 'y' }, ['A', 'B']);
    expect(a).not.toBe(b);
    expect(a).toBe('u:A=x%26B%3Dy');
  });

  it('keeps non-ASCII values readable', () => {
    expect(segmentKey({ REGION: '東京' }, ['REGION'])).toBe('u:REGION=東京');
  });
});

describe('segmentChain', () => {
  it('goes from most specific to global, dropping the last column first', () => {
    expect(segmentChain({ AGE_GROUP: '30s', GENDER: 'f' }, ['AGE_GROUP', 'GENDER'])).toEqual([
      'u:AGE_GROUP=30s&GENDER=f',
      'u:AGE_GROUP=30s',
      'global',
    ]);
  });

  it('skips missing attributes but keeps the priority order of the others', () => {
    expect(segmentChain({ A: '1', C: '3' }, ['A', 'B', 'C'])).toEqual(['u:A=1&C=3', 'u:A=1', 'global']);
  });

  it('is only global for a user without attributes', () => {
    expect(segmentChain({}, ['A', 'B'])).toEqual(['global']);
  });

  it('starts with the segmentKey of the same attributes', () => {
    const attrs = { A: '1', B: '2', C: '3' };
    expect(segmentChain(attrs, ['C', 'A'])[0]).toBe(segmentKey(attrs, ['C', 'A']));
  });
});

describe('itemSegmentKey', () => {
  it('prefixes item attribute lists with i:', () => {
    expect(itemSegmentKey('CATEGORY', 'shoes')).toBe('i:CATEGORY=shoes');
  });
});
