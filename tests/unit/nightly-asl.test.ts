import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { generatedFiles, NIGHTLY_ASL, SERVED_MODULE } from '../../shared/build/generate-asl.js';
import {
  ALGORITHMS,
  type AlgorithmEntry,
  getAlgorithm,
  registryOf,
} from '../../shared/domain/algorithms/registry.js';
import { stateNameOf } from '../../shared/pipeline/nightly-asl.js';
import { ROOT } from '../helpers/start-process.js';

interface Branch {
  StartAt: string;
  States: Record<string, { Parameters?: Record<string, unknown>; ItemSelector?: Record<string, unknown> }>;
}
const parallelOf = (text: string) =>
  (JSON.parse(text) as { States: { ScoreAlgorithms: { Branches: Branch[]; ResultSelector: object } } }).States
    .ScoreAlgorithms;

/** A tiny extra algorithm: the CF trainer under another name, scored per user. */
const tiny: AlgorithmEntry = { ...getAlgorithm('cf'), name: 'tiny-knn', description: 'test entry' };

describe('generated nightly state machine (npm run generate:asl)', () => {
  it('equals the committed files (run npm run generate:asl after changing the registry)', () => {
    for (const [path, text] of generatedFiles()) {
      const committed = readFileSync(join(ROOT, path), 'utf8');
      if (path.endsWith('.json')) expect(JSON.parse(committed), path).toEqual(JSON.parse(text));
      else expect(committed, path).toBe(text);
    }
  });

  it('has one Train/Score branch per scored registry entry, then popularity', () => {
    const parallel = parallelOf(generatedFiles().get(NIGHTLY_ASL)!);
    expect(parallel.Branches.map((b) => b.StartAt)).toEqual([
      'TrainCf',
      'TrainFm',
      'TrainChampion',
      'TrainSession',
      'ComputePopularity',
    ]);
    expect(parallel.ResultSelector).toEqual({
      'cf.$': '$[0].model',
      'fm.$': '$[1].model',
      'champion.$': '$[2].model',
      'session.$': '$[3].model',
      'popularity.$': '$[4].model',
    });
  });

  it('gives a newly registered algorithm its own valid branch and request-path entry', () => {
    const files = generatedFiles(registryOf([...ALGORITHMS.values(), tiny]));
    const text = files.get(NIGHTLY_ASL)!;
    const result = validator(JSON.parse(text) as never);
    expect(result.errorsText('\n')).toBe('');
    const parallel = parallelOf(text);
    const branch = parallel.Branches[4];
    expect(branch.StartAt).toBe('TrainTinyKnn');
    expect(branch.States.TrainTinyKnn.Parameters).toEqual({ algorithm: 'tiny-knn', 'run.$': '$.run' });
    expect(branch.States.ScoreTinyKnnShardsInline.ItemSelector?.algorithm).toBe('tiny-knn');
    expect(Object.keys(branch.States)).toContain('ScoreTinyKnnShardsDistributed');
    expect(parallel.ResultSelector).toMatchObject({
      'tiny-knn.$': '$[4].model',
      'popularity.$': '$[5].model',
    });
    expect(files.get(SERVED_MODULE)).toContain(
      "{ name: 'tiny-knn', scoredPerUser: true, requestSource: 'precomputed' },",
    );
  });

  it('derives state names from algorithm names and refuses two that collide', () => {
    expect(['cf', 'popularity:segment', 'rp3-beta'].map(stateNameOf)).toEqual([
      'Cf',
      'PopularitySegment',
      'Rp3Beta',
    ]);
    const clash = registryOf([...ALGORITHMS.values(), { ...tiny, name: 'c-f' }, { ...tiny, name: 'c_f' }]);
    expect(() => generatedFiles(clash)).toThrow(/share the state names CF/);
  });
});
