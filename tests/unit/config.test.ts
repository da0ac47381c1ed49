import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../shared/config/config.js';
import { parseExperimentConfig } from '../../shared/domain/experiments/experiments.js';
import { ValidationError } from '../../shared/domain/errors.js';

const tables = {
  TABLE_RECOMMENDATIONS: 'osusume-t-recommendations',
  TABLE_STATE: 'osusume-t-state',
  TABLE_NG_ITEMS: 'osusume-t-ng-items',
  TABLE_USERS: 'osusume-t-users',
  TABLE_EVENTS: 'osusume-t-events',
};

describe('configuration', () => {
  it('says what is wrong with each bad variable', () => {
    expect(() =>
      parseConfig({ ...tables, TABLE_STATE: 'ab', DEFAULT_NUM_RESULTS: '2.5', ADMIN_AUTH: 'basic' }),
    ).toThrow(
      'TABLE_STATE: must be at least 3 characters; DEFAULT_NUM_RESULTS: expected int; ADMIN_AUTH: must be one of "iam", "token"',
    );
  });

  it('says a missing required variable is required', () => {
    const { TABLE_USERS: _, ...rest } = tables;
    expect(() => parseConfig(rest)).toThrow('TABLE_USERS: is required');
  });

  it('fails naming a missing required variable', () => {
    const { TABLE_STATE: _, ...rest } = tables;
    expect(() => parseConfig(rest)).toThrow(ConfigError);
    expect(() => parseConfig(rest)).toThrow(/TABLE_STATE/);
  });

  it('applies defaults and coerces numbers', () => {
    const c = parseConfig({ ...tables, DEFAULT_NUM_RESULTS: '40' });
    expect(c.DEFAULT_NUM_RESULTS).toBe(40);
    expect(c.PERSONALIZE_TIMEOUT_MS).toBe(150);
    expect(c.ADMIN_AUTH).toBe('token');
    expect(c.SEGMENT_COLUMNS).toEqual([]);
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ ...tables, PERSONALIZE_CAMPAIGN_ARN: '' }).PERSONALIZE_CAMPAIGN_ARN).toBeUndefined();
  });

  it('rejects an out-of-range number naming the variable', () => {
    expect(() => parseConfig({ ...tables, DEFAULT_NUM_RESULTS: '900' })).toThrow(/DEFAULT_NUM_RESULTS/);
  });

  it('splits SEGMENT_COLUMNS into a priority list', () => {
    expect(parseConfig({ ...tables, SEGMENT_COLUMNS: 'AGE_GROUP, GENDER' }).SEGMENT_COLUMNS).toEqual([
      'AGE_GROUP',
      'GENDER',
    ]);
  });
});

describe('experiment configuration', () => {
  it('defaults to every arm at equal weight', () => {
    const c = parseExperimentConfig(undefined);
    expect(c.slots[c.defaultSlot].arms.map((a) => a.algorithm).sort()).toEqual([
      'cf',
      'fm',
      'personalize',
      'session',
    ]);
  });

  it('rejects a default slot that is not configured', () => {
    const json = JSON.stringify({
      defaultSlot: 'x',
      slots: { home: { experiment: 'e', salt: 's', arms: [{ name: 'cf', algorithm: 'cf', weight: 1 }] } },
    });
    expect(() => parseExperimentConfig(json)).toThrow(/defaultSlot/);
  });

  it('rejects malformed JSON with a ValidationError', () => {
    expect(() => parseExperimentConfig('{nope')).toThrow(ValidationError);
  });

  it('rejects an unknown algorithm naming its path', () => {
    const json = JSON.stringify({
      defaultSlot: 'home',
      slots: { home: { experiment: 'e', salt: 's', arms: [{ name: 'x', algorithm: 'magic', weight: 1 }] } },
    });
    expect(() => parseExperimentConfig(json)).toThrow(/slots.home.arms.0.algorithm/);
  });
});
