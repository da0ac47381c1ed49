import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPipelineResult } from '../../shared/adapters/local/local-pipeline.js';
import type { LocalStack } from '../../shared/adapters/local/local-stack.js';
import type { TrainerSearchRecord } from '../../shared/pipeline/trainer-search.js';
import type { TunedParamsRecord } from '../../shared/pipeline/tuning.js';
import type { PublishedChampion } from '../../shared/use-cases/champion.js';
import { ROOT } from '../helpers/start-process.js';

// Real handlers behind the real ASL, embedded DynamoDB: a small shop, a quick FM, 8 trials a tuning night.
const OPTIONS = {
  shardUsers: 120,
  numResults: 10,
  tuneTrials: 8,
  trainOptions: { fm: { epochs: 2, factors: 8, validationFraction: 0 } },
};

let stack: LocalStack;
let tmp: string;
let run: typeof import('../../shared/adapters/local/local-pipeline.js').runLocalPipeline;
let deps: import('../../shared/pipeline/pipeline-container.js').PipelineDeps;
let tuning: LocalPipelineResult;
let reuse: LocalPipelineResult;
let tunedAfterFirst: TunedParamsRecord | undefined;
let searchAfterFirst: TrainerSearchRecord | undefined;
const sessionSearch = async () =>
  deps.state.getRecord<TrainerSearchRecord>(
    (await import('../../shared/domain/pipeline/record-keys.js')).trainerSearchKey('session'),
  );

const night = (tune?: boolean) =>
  run({
    root: ROOT,
    machine: 'scoring',
    input: { data: stack.dataDir, options: OPTIONS, ...(tune ? { tune } : {}) },
    retryMs: 1,
  });
const entries = (r: LocalPipelineResult, state: string) => r.states.find((s) => s.name === state)?.count ?? 0;
type Output = {
  version: string;
  tuning: { source: string; champion: { algorithm: string } | null };
  models: Record<string, { ownSearch?: { searched: boolean; tunedAt?: string } }>;
};

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'osusume-tuning-'));
  process.env.ARTIFACT_DIR = join(tmp, 'artifacts');
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.QUALITY_GATE_MARGIN = '1';
  const { startLocalStack } = await import('../../shared/adapters/local/local-stack.js');
  stack = await startLocalStack({ users: 240, items: 150, seed: 11 });
  ({ runLocalPipeline: run } = await import('../../shared/adapters/local/local-pipeline.js'));
  deps = (await import('../../shared/pipeline/pipeline-container.js')).getPipelineDeps();
  tuning = await night();
  const { TUNED_PARAMS_KEY } = await import('../../shared/pipeline/tuning.js');
  tunedAfterFirst = await deps.state.getRecord<TunedParamsRecord>(TUNED_PARAMS_KEY);
  searchAfterFirst = await sessionSearch();
  reuse = await night();
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('nightly Tune stage, run locally', () => {
  it('tunes on the first night and stores the tuned params with their validation score, the trial log and the date', async () => {
    expect(tuning.status, `${tuning.error}: ${tuning.cause}`).toBe('SUCCEEDED');
    // one defaults trial per champion candidate; the blend runs last, in TuneComposites
    expect(entries(tuning, 'TuneTrial')).toBe(7);
    expect(entries(tuning, 'TuneComposite')).toBe(1);
    const record = tunedAfterFirst;
    expect(record?.reason).toBe('never tuned');
    expect(record?.trials.length).toBe(8);
    expect(record?.trials.every((t) => t.score !== undefined && t.users > 0)).toBe(true);
    const { championCandidates } = await import('../../shared/domain/algorithms/registry.js');
    expect(record?.best.map((b) => b.algorithm).sort()).toEqual(championCandidates().sort());
    // the blend's trial records the weights and fusion it chose on its own inner validation split
    expect(record?.trials.find((t) => t.algorithm === 'blend')?.params.fusion).toMatch(/^(rank|score|std)$/);
    for (const b of record?.best ?? []) expect(b.score).toBeGreaterThanOrEqual(b.defaultScore ?? 0);
    expect(Date.parse(record?.tunedAt ?? '')).toBeGreaterThan(Date.now() - 600_000);
    expect((tuning.output as Output).tuning.source).toBe('tuned');
  });

  it('publishes the champion with the best validation score', async () => {
    const { CHAMPION_KEY } = await import('../../shared/use-cases/champion.js');
    const champion = await deps.state.getRecord<PublishedChampion>(CHAMPION_KEY);
    const best = [...(tunedAfterFirst?.best ?? [])].sort((a, b) => b.score - a.score)[0];
    expect(champion?.algorithm).toBe(best.algorithm);
    expect(champion?.params).toEqual(best.params);
    expect((reuse.output as Output).tuning.champion?.algorithm).toBe(best.algorithm);
  });

  it('skips the trials on a night that is not due and reuses the stored params', async () => {
    expect(reuse.status, `${reuse.error}: ${reuse.cause}`).toBe('SUCCEEDED');
    expect(entries(reuse, 'TuneTrial')).toBe(0);
    expect(entries(reuse, 'UseStoredTuning')).toBe(1);
    const out = reuse.output as Output & { tuning: { reason: string; params: unknown } };
    expect(out.tuning.source).toBe('stored');
    expect(out.tuning.reason).toMatch(/^reusing the parameters tuned/);
    expect(out.tuning.params).toEqual(
      tunedAfterFirst?.best.map((b) => ({ algorithm: b.algorithm, params: b.params, score: b.score })),
    );
  });

  it('searches the session kNN params on the tuning night only and trains the next night with the stored ones', async () => {
    expect((tuning.output as Output).models.session.ownSearch).toEqual({
      searched: true,
      tunedAt: searchAfterFirst?.tunedAt,
    });
    expect(searchAfterFirst?.reason).toBe('never searched');
    expect((searchAfterFirst?.report as { evaluations?: number } | undefined)?.evaluations).toBeGreaterThan(
      1,
    );
    // the next night: no search, no new record, and the stored model carries the stored params
    expect((reuse.output as Output).models.session.ownSearch).toEqual({
      searched: false,
      tunedAt: searchAfterFirst?.tunedAt,
    });
    expect(await sessionSearch()).toEqual(searchAfterFirst);
    const { runKeys } = await import('../../shared/pipeline/snapshot.js');
    const { sessionKnnOfArm } = await import('../../shared/domain/algorithms/session-knn/session-arm.js');
    const bytes = await deps.artifacts.get(runKeys.model((reuse.output as Output).version, 'session'));
    expect(sessionKnnOfArm(bytes).params).toEqual(searchAfterFirst?.params);
  });

  it('trains the champion with its tuned params under the champion pointer, which the auto arm serves', async () => {
    const champion = (reuse.output as Output).tuning.champion?.algorithm ?? '';
    const { loadSnapshot, runKeys } = await import('../../shared/pipeline/snapshot.js');
    const { getAlgorithm } = await import('../../shared/domain/algorithms/registry.js');
    const version = (reuse.output as Output).version;
    const dataset = await loadSnapshot(deps.artifacts, runKeys.snapshot(version));
    const bytes = await deps.artifacts.get(runKeys.model(version, 'champion'));
    const model = getAlgorithm('champion').deserialize?.(bytes, dataset) as unknown as {
      algorithm: string;
      inner: { chosenParams?: () => unknown };
    };
    expect(model.algorithm).toBe(champion);
    const tuned = tunedAfterFirst?.best.find((b) => b.algorithm === champion);
    if (model.inner.chosenParams) expect(model.inner.chosenParams()).toEqual(tuned?.params);
    const users = stack.dataset.users.ids.slice(0, 3);
    let served = 0;
    for (const user of users) {
      const auto = await deps.sources.auto.candidates(user, 10);
      expect(auto).toEqual(await deps.sources.champion.candidates(user, 10));
      served += auto.length;
    }
    expect(served).toBeGreaterThan(0);
    expect(deps.sources.auto.source).toBe(`auto:${champion}`);
  });

  it('tunes again when a manual run asks for it', async () => {
    const manual = await night(true);
    expect(manual.status, `${manual.error}: ${manual.cause}`).toBe('SUCCEEDED');
    expect(entries(manual, 'TuneTrial')).toBe(7);
    const { TUNED_PARAMS_KEY } = await import('../../shared/pipeline/tuning.js');
    const record = await deps.state.getRecord<TunedParamsRecord>(TUNED_PARAMS_KEY);
    expect(record?.reason).toBe('requested (--tune)');
    const search = await sessionSearch();
    expect((manual.output as Output).models.session.ownSearch).toEqual({
      searched: true,
      tunedAt: search?.tunedAt,
    });
    expect(search?.reason).toBe('requested (--tune)');
  }, 240_000);
});
