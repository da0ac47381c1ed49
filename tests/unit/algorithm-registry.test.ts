import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { parseOptions } from '../../shared/domain/algorithms/option-schemas.js';
import {
  ALGORITHMS,
  type AlgorithmEntry,
  algorithmNames,
  getAlgorithm,
  parseTrainOptions,
  publishedEntries,
  registryOf,
  trainEntry,
} from '../../shared/domain/algorithms/registry.js';
import { ALGORITHM_INDEX } from '../../shared/domain/algorithms/served-algorithms.js';
import { generateShop } from '../../shared/domain/data/generator.js';
import { ValidationError } from '../../shared/domain/errors.js';

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as Error).message;
  }
  throw new Error('did not throw');
};

describe('algorithm registry', () => {
  it('gives every entry a strict options schema that accepts no options', () => {
    for (const entry of ALGORITHMS.values())
      expect(parseOptions(entry.options, undefined, entry.name)).toEqual({});
  });

  it('rejects an unknown option key naming it and the allowed keys', () => {
    expect(message(() => parseTrainOptions({ fm: { epoch: 5 } }))).toMatch(
      /^trainOptions\.fm\.epoch: unknown option; allowed: factors, .*epochs/,
    );
  });

  it('rejects a mistyped option value naming its path', () => {
    expect(message(() => parseTrainOptions({ cf: { neighbours: '50' } }))).toBe(
      'trainOptions.cf.neighbours: expected number',
    );
    expect(message(() => parseTrainOptions({ fm: { loss: 'hinge' } }))).toMatch(
      /^trainOptions\.fm\.loss: must be one of/,
    );
  });

  it("names a nested option's full path (session.cf)", () => {
    expect(message(() => parseTrainOptions({ session: { cf: { neighbors: 5 } } }))).toMatch(
      /^trainOptions\.session\.cf\.neighbors: unknown option; allowed: neighbours,/,
    );
  });

  it('rejects options for an algorithm that is not registered, naming the allowed ones', () => {
    expect(message(() => parseTrainOptions({ knn: {} }))).toBe(
      `trainOptions.knn: unknown algorithm; allowed: ${algorithmNames().join(', ')}`,
    );
  });

  it('does not turn event-type names into keys of a new object', () => {
    const weights = JSON.parse('{"__proto__": 2, "view": 1}') as Record<string, number>;
    const parsed = parseTrainOptions({ cf: { eventWeights: weights } }).get('cf') as {
      eventWeights: unknown;
    };
    expect(parsed.eventWeights).toBe(weights);
    expect(message(() => parseTrainOptions({ cf: { eventWeights: { view: 'x' } } }))).toMatch(
      /^trainOptions\.cf\.eventWeights: expected an object/,
    );
  });

  it('trains with the parsed options (a bad key fails before training)', () => {
    const dataset = generateShop({ users: 60, items: 40, days: 5, seed: 2 }).dataset;
    const model = trainEntry(getAlgorithm('cf'), dataset, { neighbours: 5 }, 1);
    expect(model.name).toBe('cf');
    expect(message(() => trainEntry(getAlgorithm('cf'), dataset, { neigbours: 5 }, 1))).toMatch(
      /^cf\.neigbours: unknown option/,
    );
  });

  it('publishes the scored entries under their names and the segment popularity as popularity', () => {
    expect(publishedEntries().map((p) => [p.pointer, p.entry.name])).toEqual([
      ['cf', 'cf'],
      ['fm', 'fm'],
      ['champion', 'champion'],
      ['session', 'session'],
      ['popularity', 'popularity:segment'],
    ]);
  });

  it('refuses a duplicate name, a name unfit for state names and an unstorable scored entry', () => {
    const tiny: AlgorithmEntry = { ...getAlgorithm('popularity'), name: 'tiny' };
    expect(() => registryOf([tiny, tiny])).toThrow(/registered twice/);
    expect(() => registryOf([{ ...tiny, name: 'Tiny One' }])).toThrow(/must match/);
    expect(() => registryOf([{ ...tiny, scoredPerUser: true }])).toThrow(/cannot be stored/);
    expect(registryOf([{ ...tiny, options: z.strictObject({}) }]).get('tiny')?.name).toBe('tiny');
  });

  it('lists the same algorithms in the generated request-path index', () => {
    expect(ALGORITHM_INDEX.map((a) => [a.name, a.scoredPerUser, a.requestSource])).toEqual(
      [...ALGORITHMS.values()].map((e) => [
        e.name,
        e.scoredPerUser,
        e.scoredPerUser ? (e.requestSource ?? 'precomputed') : undefined,
      ]),
    );
  });
});
