import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPipelineResult } from '../../shared/adapters/local/local-pipeline.js';
import type { LocalStack } from '../../shared/adapters/local/local-stack.js';
import type {
  PersonalizeSimulator,
  PersonalizeSimulatorOptions,
} from '../../shared/adapters/local/personalize-simulator.js';
import type { TuningRecord } from '../../shared/domain/pipeline/hpo-policy.js';
import { ROOT } from '../helpers/start-process.js';

let stack: LocalStack;
let tmp: string;
let mod: typeof import('../../shared/adapters/local/local-pipeline.js');
let Simulator: typeof PersonalizeSimulator;
let deps: import('../../shared/pipeline/pipeline-container.js').PipelineDeps;

const retrain = async (input: Record<string, unknown>, options: PersonalizeSimulatorOptions = {}) => {
  const sim = new Simulator({ stepMs: 12, ...options });
  const result: LocalPipelineResult = await mod.runLocalPipeline({
    root: ROOT,
    machine: 'personalize',
    input: { trigger: 'test', ...input },
    services: sim.services(),
    waitMs: 5,
  });
  const actions = sim.calls.map((c) => c.action);
  return { sim, result, actions };
};
const setTuning = (record: TuningRecord | undefined) =>
  deps.state.putRecord('personalize-tuning', record ?? null);

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'osusume-personalize-'));
  process.env.ARTIFACT_DIR = join(tmp, 'artifacts');
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const { startLocalStack } = await import('../../shared/adapters/local/local-stack.js');
  stack = await startLocalStack({ users: 120, items: 80, seed: 3 });
  mod = await import('../../shared/adapters/local/local-pipeline.js');
  ({ PersonalizeSimulator: Simulator } = await import(
    '../../shared/adapters/local/personalize-simulator.js'
  ));
  deps = (await import('../../shared/pipeline/pipeline-container.js')).getPipelineDeps();
  // the retraining imports the latest published nightly snapshot
  const nightly = await mod.runLocalPipeline({
    root: ROOT,
    machine: 'scoring',
    input: {
      data: stack.dataDir,
      options: { numResults: 5, trainOptions: { fm: { epochs: 1, factors: 4, validationFraction: 0 } } },
    },
  });
  if (nightly.status !== 'SUCCEEDED') throw new Error(`nightly failed: ${nightly.cause}`);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('Personalize retraining state machine against the simulated control plane', () => {
  it('imports all three datasets, polls every job until ACTIVE and deploys a passing version', async () => {
    const { sim, result, actions } = await retrain({});
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(actions.filter((a) => a === 'createDatasetImportJob')).toHaveLength(3);
    // the shortened clock makes each loop poll more than once
    expect(actions.filter((a) => a === 'describeDatasetImportJob').length).toBeGreaterThan(3);
    expect(actions.filter((a) => a === 'describeSolutionVersion').length).toBeGreaterThan(1);
    const out = result.output as { solutionVersionArn: string };
    expect(sim.campaign.solutionVersionArn).toBe(out.solutionVersionArn);
    const create = sim.calls.find((c) => c.action === 'createSolution');
    expect(create?.input.PerformAutoTraining).toBe(false);
    expect(create?.input.RecipeArn).toBe('arn:aws:personalize:::recipe/aws-user-personalization-v2');
  });

  it('fails naming the import job when an import ends CREATE FAILED, before any training', async () => {
    const { sim, result, actions } = await retrain(
      {},
      { failImport: (type) => (type === 'users' ? 'Invalid CSV: USER_ID missing' : undefined) },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ImportDatasets.ImportFailed');
    expect(result.cause).toMatch(/users import job .* CREATE FAILED: Invalid CSV: USER_ID missing/);
    expect(actions).not.toContain('createSolutionVersion');
    expect(actions).not.toContain('updateCampaign');
    expect(sim.campaign.solutionVersionArn).toMatch(/initial/);
  });

  it("trains a stage's first retraining with the recipe defaults, not HPO, and records them", async () => {
    await setTuning(undefined);
    const { sim, result } = await retrain({});
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(sim.calls.find((c) => c.action === 'createSolution')?.input.PerformHPO).toBe(false);
    const record = await deps.state.getRecord<TuningRecord>('personalize-tuning');
    expect(record).toMatchObject({ defaults: true, hyperParameters: {} });
    expect(record?.regularSolutionArn).toMatch(/solution/);
  });

  it('publishes the deployed campaign ARN to the parameter the request function reads, never a rejected one', async () => {
    const { StateParameterStore } = await import('../../shared/adapters/local/state-parameters.js');
    const { CachedCampaignArn } = await import('../../shared/use-cases/personalize-campaign.js');
    const parameters = new StateParameterStore(deps.state);
    const name = '/osusume/local/personalize/campaign-arn';
    await deps.state.putRecord(`parameter#${name}`, null);
    await setTuning(undefined);
    const rejected = await retrain(
      {},
      {
        parameters,
        currentMetrics: { normalized_discounted_cumulative_gain_at_10: 0.3 },
        versionMetrics: () => ({ normalized_discounted_cumulative_gain_at_10: 0.2 }),
      },
    );
    expect(rejected.result.status).toBe('FAILED');
    expect(await parameters.get(name)).toBeUndefined();
    await setTuning(undefined); // a new simulator knows no solution of the rejected run
    const { result, actions } = await retrain({}, { parameters });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    // written only after the campaign update is ACTIVE
    expect(actions.indexOf('ssm:putParameter')).toBeGreaterThan(actions.lastIndexOf('describeCampaign'));
    const { campaignArn } = result.output as { campaignArn: string };
    expect(await parameters.get(name)).toBe(campaignArn);
    // what the local request path reads through its cache
    expect(await new CachedCampaignArn(new StateParameterStore(deps.state), name, 60_000).arn()).toBe(
      campaignArn,
    );
  });

  it('imports FULL first, then only the posted interactions sent since the last import, INCREMENTAL', async () => {
    const { LATEST_RUN_KEY } = await import('../../shared/pipeline/nightly.js');
    const latest = (await deps.state.getRecord<{ version: string; startedAt: string }>(LATEST_RUN_KEY))!;
    const startSec = Math.floor(Date.parse(latest.startedAt) / 1000);
    await deps.artifacts.put(
      `runs/${latest.version}/dataset/events-00000.csv`,
      'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_ID,SESSION_ID\n' +
        `u-old,i1,${startSec - 7200},purchase,e1,s1\n` +
        `u-new,i2,${startSec - 60},"cart",e2,s2\n`,
    );
    await deps.state.putRecord('personalize-imports', null);
    await setTuning(undefined);
    const full = await retrain({});
    expect(full.result.status, `${full.result.error}: ${full.result.cause}`).toBe('SUCCEEDED');
    const jobs = (sim: PersonalizeSimulator) =>
      new Map(
        sim.calls
          .filter((c) => c.action === 'createDatasetImportJob')
          .map((c) => [String(c.input.DatasetArn).split('/').pop(), c.input]),
      );
    expect(jobs(full.sim).get('INTERACTIONS')).toMatchObject({ ImportMode: 'FULL' });
    expect(
      String((jobs(full.sim).get('INTERACTIONS')!.DataSource as { DataLocation: string }).DataLocation),
    ).toMatch(/interactions\.csv$/);
    // the last import saw events sent until an hour before this snapshot
    await deps.state.putRecord('personalize-imports', {
      fullImportAt: new Date().toISOString(),
      cutoffSec: startSec - 3600,
      snapshot: latest.version,
    });
    await setTuning(undefined);
    const next = await retrain({});
    expect(next.result.status, `${next.result.error}: ${next.result.cause}`).toBe('SUCCEEDED');
    const job = jobs(next.sim).get('INTERACTIONS')!;
    expect(job.ImportMode).toBe('INCREMENTAL');
    expect(jobs(next.sim).get('USERS')).toMatchObject({ ImportMode: 'FULL' });
    const location = (job.DataSource as { DataLocation: string }).DataLocation;
    const keys = await deps.artifacts.list(location.slice(location.indexOf('runs/')));
    expect(keys).toHaveLength(1);
    expect(new TextDecoder().decode(await deps.artifacts.get(keys[0]))).toBe(
      `USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu-new,i2,${startSec - 60},cart\n`,
    );
    // and nothing is new for the run after it
    expect(await deps.state.getRecord('personalize-imports')).toMatchObject({ cutoffSec: startSec });
    await setTuning(undefined);
    const idle = await retrain({});
    expect(idle.result.status, `${idle.result.error}: ${idle.result.cause}`).toBe('SUCCEEDED');
    expect(jobs(idle.sim).has('INTERACTIONS')).toBe(false);
  });

  it('points serving at the set of users the deployed version was trained on', async () => {
    const { KnownUsers } = await import('../../shared/use-cases/known-users.js');
    await deps.state.putRecord('personalize-users-latest', null);
    await setTuning(undefined);
    const { result } = await retrain({});
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    const known = new KnownUsers(deps.state, 0);
    // the generated shop's users have interactions; an id nobody posted has none
    expect(await known.known('u000001')).toBe(true);
    expect(await known.known('never-seen-visitor')).toBe(false);
    const published = await deps.state.getRecord<{ id: string }>('personalize-users-latest');
    expect(published?.id).toBe((result.output as { runId: string }).runId);
    // a version the gate rejects never becomes the campaign's, so its set is not served either
    await setTuning(undefined);
    const rejected = await retrain(
      {},
      {
        currentMetrics: { normalized_discounted_cumulative_gain_at_10: 0.3 },
        versionMetrics: () => ({ normalized_discounted_cumulative_gain_at_10: 0.2 }),
      },
    );
    expect(rejected.result.status).toBe('FAILED');
    expect(await deps.state.getRecord('personalize-users-latest')).toEqual(published);
  });

  it('leaves the campaign untouched when the new version fails the gate', async () => {
    await setTuning(undefined);
    const { sim, result, actions } = await retrain(
      {},
      {
        currentMetrics: { normalized_discounted_cumulative_gain_at_10: 0.3 },
        versionMetrics: () => ({ normalized_discounted_cumulative_gain_at_10: 0.2 }),
      },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('QualityGate.Rejected');
    expect(result.cause).toContain('campaign is untouched');
    expect(actions).not.toContain('updateCampaign');
    expect(sim.campaign.solutionVersionArn).toMatch(/initial/);
  });

  it('runs HPO when asked, records the tuned hyperparameters, and the next run reuses them without HPO', async () => {
    await setTuning(undefined);
    const tuned = await retrain({ hpo: true });
    expect(tuned.result.status, tuned.result.cause).toBe('SUCCEEDED');
    expect(tuned.sim.calls.find((c) => c.action === 'createSolution')?.input.PerformHPO).toBe(true);
    const record = await deps.state.getRecord<TuningRecord>('personalize-tuning');
    expect(record?.hyperParameters).toEqual({ hidden_dimension: '149', bptt: '32' });

    const regular = await retrain({});
    expect(regular.result.status, regular.result.cause).toBe('SUCCEEDED');
    const create = regular.sim.calls.find((c) => c.action === 'createSolution');
    expect(create?.input.PerformHPO).toBe(false);
    expect(create?.input.SolutionConfig).toEqual({ AlgorithmHyperParameters: record?.hyperParameters });
    expect((regular.result.output as { hpo: { due: boolean } }).hpo.due).toBe(false);
  });

  it('runs HPO without a manual flag when the last tuning is older than the policy allows', async () => {
    await setTuning({ tunedAt: '2020-01-01T00:00:00Z', interactions: 1, hyperParameters: { bptt: '16' } });
    const { result, sim } = await retrain({});
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect((result.output as { hpo: { due: boolean; reason: string } }).hpo.reason).toMatch(/days ago/);
    expect(sim.calls.find((c) => c.action === 'createSolution')?.input.PerformHPO).toBe(true);
  });
});
