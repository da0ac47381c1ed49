import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPipelineResult } from '../../shared/adapters/local/local-pipeline.js';
import type { LocalStack } from '../../shared/adapters/local/local-stack.js';
import type { LocalTask } from '../../shared/adapters/local/state-machine-runner.js';
import { ROOT } from '../helpers/start-process.js';

// Real handlers behind the real ASL, embedded DynamoDB: small shop, 3 shards per algorithm, quick FM.
const OPTIONS = {
  shardUsers: 80,
  numResults: 10,
  // the first night tunes (never tuned): one defaults trial per champion candidate keeps it quick
  tuneTrials: 8,
  trainOptions: { fm: { epochs: 2, factors: 8, validationFraction: 0 } },
};
const ALGORITHMS = ['cf', 'fm', 'champion', 'session', 'popularity'];

let stack: LocalStack;
let tmp: string;
let run: typeof import('../../shared/adapters/local/local-pipeline.js').runLocalPipeline;
let deps: import('../../shared/pipeline/pipeline-container.js').PipelineDeps;
let first: LocalPipelineResult;

const fail = (name: string, message: string) => {
  const e = new Error(message);
  e.name = name;
  return e;
};
const pointers = async () =>
  Object.fromEntries(
    await Promise.all(ALGORITHMS.map(async (a) => [a, (await deps.state.getActiveVersion(a))?.version])),
  );
const runWith = (wrap?: (state: string, task: LocalTask) => LocalTask, data = stack.dataDir) =>
  run({ root: ROOT, machine: 'scoring', input: { data, options: OPTIONS }, wrap, retryMs: 1 });

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'osusume-nightly-'));
  process.env.ARTIFACT_DIR = join(tmp, 'artifacts');
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const { startLocalStack } = await import('../../shared/adapters/local/local-stack.js');
  stack = await startLocalStack({ users: 240, items: 150, seed: 7 });
  ({ runLocalPipeline: run } = await import('../../shared/adapters/local/local-pipeline.js'));
  deps = (await import('../../shared/pipeline/pipeline-container.js')).getPipelineDeps();
  first = await runWith();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('nightly scoring state machine, run locally', () => {
  it('publishes one new version for cf, fm, champion, session and popularity on the happy path', async () => {
    expect(first.status, `${first.error}: ${first.cause}`).toBe('SUCCEEDED');
    const out = first.output as { version: string; shards: number; published: { algorithm: string }[] };
    expect(out.shards).toBe(3);
    expect(out.published.map((p) => p.algorithm).sort()).toEqual([...ALGORITHMS].sort());
    expect(await pointers()).toEqual(Object.fromEntries(ALGORITHMS.map((a) => [a, out.version])));
  });

  it('computes the per-arm A/B report after publishing', async () => {
    const report = await deps.state.getRecord<{ slots: unknown[] }>('ab-report#latest');
    expect(report).toBeDefined();
    expect(Array.isArray(report?.slots)).toBe(true);
  });

  it('serves per-user lists of every scored algorithm through the new version', async () => {
    const version = (first.output as { version: string }).version;
    const userId = stack.dataset.users.ids[stack.dataset.users.size - 1];
    for (const algorithm of ['cf', 'fm', 'session']) {
      const list = await deps.recommendations.getUserList(algorithm, version, userId);
      expect(list?.length, algorithm).toBe(OPTIONS.numResults);
    }
  });

  it('stores offline metrics per algorithm and version and appends them to the history', async () => {
    const version = (first.output as { version: string }).version;
    for (const a of ALGORITHMS) {
      const rec = await deps.state.getRecord<{ metrics: { ndcg: number } }>(`metrics#${a}#${version}`);
      expect(rec?.metrics.ndcg, a).toBeGreaterThan(0);
      type Entry = { version: string; metrics: { ndcg: number; ci95: { ndcg: [number, number] } } };
      const history = await deps.state.getRecord<Entry[]>(`metrics-history#${a}`);
      const entry = history?.find((h) => h.version === version);
      // with its 95% interval over the held-out users
      expect(entry?.metrics.ci95.ndcg[0]).toBeLessThan(entry!.metrics.ndcg);
      expect(entry?.metrics.ci95.ndcg[1]).toBeGreaterThan(entry!.metrics.ndcg);
    }
    expect(first.events.map((e) => e.DetailType)).toEqual(['NightlyScoringSucceeded']);
  });

  it.each([
    ['TrainCf', 'ScoreAlgorithms.TrainCf.DataError'],
    ['ScoreFmShard', 'ScoreAlgorithms.ScoreFmShards.DataError'],
    ['TrainSession', 'ScoreAlgorithms.TrainSession.DataError'],
    ['ComputePopularity', 'ScoreAlgorithms.ComputePopularity.DataError'],
  ])(
    'keeps the previous versions serving and names the failed state when %s fails',
    async (state, error) => {
      const before = await pointers();
      const result = await runWith((name, task) =>
        name === state
          ? async () => {
              throw fail('DataError', `broken ${state}`);
            }
          : task,
      );
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe(error);
      expect(result.cause).toContain(`broken ${state}`);
      expect(result.cause).toContain(`${state.replace(/Shard$/, 'Shards')} failed`);
      expect(result.events.map((e) => e.DetailType)).toEqual(['NightlyScoringFailed']);
      expect(await pointers()).toEqual(before);
    },
    90_000,
  );

  it('retries a throttled shard with backoff and then succeeds', async () => {
    let throttled = 0;
    const result = await runWith((name, task) =>
      name === 'ScoreCfShard'
        ? async (input) => {
            if ((input as { shard: { index: number } }).shard.index === 1 && throttled < 2) {
              throttled++;
              throw fail('Lambda.TooManyRequestsException', 'Rate exceeded');
            }
            return task(input);
          }
        : task,
    );
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(throttled).toBe(2);
    expect(result.states.find((s) => s.name === 'ScoreCfShard')?.retries).toBe(2);
  });

  it('rejects a version that is worse than the active one and keeps the active one', async () => {
    const before = await pointers();
    // make the active cf version look much better than anything the same data can reach
    const active = before.cf as string;
    const rec = await deps.state.getRecord<{ metrics: Record<string, number> }>(`metrics#cf#${active}`);
    await deps.state.putRecord(`metrics#cf#${active}`, { ...rec, metrics: { ...rec?.metrics, ndcg: 0.99 } });
    const result = await runWith();
    await deps.state.putRecord(`metrics#cf#${active}`, rec);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('QualityGate.Rejected');
    expect(result.cause).toMatch(/cf: ndcg .* < /);
    expect(await pointers()).toEqual(before);
  });

  it('fails in Prepare naming fm.epoch when a trainer option is misspelt', async () => {
    const before = await pointers();
    const result = await run({
      root: ROOT,
      machine: 'scoring',
      input: { data: stack.dataDir, options: { ...OPTIONS, trainOptions: { fm: { epoch: 5 } } } },
      retryMs: 1,
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Prepare.ValidationError');
    expect(result.cause).toContain('trainOptions.fm.epoch: unknown option; allowed: factors,');
    expect(await pointers()).toEqual(before);
  });

  it('fails in Prepare naming the file and line when too many rows are bad', async () => {
    const bad = join(tmp, 'bad-shop');
    const { cp } = await import('node:fs/promises');
    await cp(stack.dataDir, bad, { recursive: true });
    const rows = Array.from({ length: 200 }, (_, i) => `u${i},i1,not-a-time,view,`).join('\n');
    await appendFile(join(bad, 'interactions.csv'), `${rows}\n`);
    const before = await pointers();
    const result = await runWith(undefined, bad);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Prepare.DataError');
    expect(result.cause).toMatch(/Prepare failed: .*interactions\.csv:\d+/);
    expect(await pointers()).toEqual(before);
  });
});

describe('nightly training, once per algorithm', () => {
  const nightly = () => import('../../shared/pipeline/nightly.js');
  let run: import('../../shared/pipeline/nightly.js').RunContext;
  let dataset: import('../../shared/domain/data/dataset.js').Dataset;

  beforeAll(async () => {
    const { prepareRun, trainModel } = await nightly();
    const trainOptions = { ...OPTIONS.trainOptions, cf: { neighbours: 2 } };
    run = await prepareRun(deps, {
      data: stack.dataDir,
      options: { ...OPTIONS, trainOptions, mergeEvents: false, mergeCatalog: false },
    });
    for (const algorithm of ['cf', 'fm', 'champion', 'session']) await trainModel(deps, { algorithm, run });
    const { loadSnapshot } = await import('../../shared/pipeline/snapshot.js');
    dataset = await loadSnapshot(deps.artifacts, run.snapshot);
  }, 120_000);

  it('evaluates the model the Train state stored instead of training another', async () => {
    const { evaluateRun, EVALUATION_PROTOCOL } = await nightly();
    const { evaluateAlgorithms } = await import('../../shared/domain/evaluation/evaluate.js');
    const { splitDataset } = await import('../../shared/domain/evaluation/splits.js');
    // Evaluate is told nothing about the stored CF's options: it must score that model, not retrain one
    const out = await evaluateRun(deps, { run: { ...run, trainOptions: {} } });
    const split = splitDataset(dataset, EVALUATION_PROTOCOL, { seed: run.seed });
    const expected = async (cf: object) =>
      (await evaluateAlgorithms(dataset, { algorithms: ['cf'], split, trainOptions: new Map([['cf', cf]]) }))
        .results[0].metrics;
    expect(out.metrics.cf).toEqual(await expected({ neighbours: 2 }));
    expect(out.metrics.cf).not.toEqual(await expected({}));
    const record = await deps.state.getRecord<{ evaluation: string }>(`metrics#cf#${run.version}`);
    expect(record?.evaluation).toBe('stored-model');
  });

  it('publishes the session model refit on the whole snapshot and evaluates the split one', async () => {
    const { getAlgorithm } = await import('../../shared/domain/algorithms/registry.js');
    const { runKeys } = await import('../../shared/pipeline/snapshot.js');
    const { sessionKnnKey } = await import('../../shared/use-cases/session-index.js');
    const { deserializeSessionKnn } = await import('../../shared/domain/algorithms/session-knn/serialize.js');
    const { SessionArmModel } = await import('../../shared/domain/algorithms/session-knn/session-arm.js');
    const evaluated = getAlgorithm('session').deserialize!(
      await deps.artifacts.get(runKeys.evaluatedModel(run.version, 'session')),
      dataset,
    );
    const published = getAlgorithm('session').deserialize!(
      await deps.artifacts.get(runKeys.model(run.version, 'session')),
      dataset,
    );
    if (!(evaluated instanceof SessionArmModel) || !(published instanceof SessionArmModel))
      throw new Error('the session entry stores SessionArmModels');
    const served = deserializeSessionKnn(await deps.artifacts.get(sessionKnnKey(run.version)));
    // the refit indexes the held-out clicks too, with the parameters the evaluated model was trained with
    expect(served.index.sessItems.length).toBe(published.knn.index.sessItems.length);
    expect(published.knn.index.sessItems.length).toBeGreaterThan(evaluated.knn.index.sessItems.length);
    expect(published.knn.params).toEqual(evaluated.knn.params);
  });

  it("keeps the evaluation split's held-out items out of the published lists", async () => {
    const { scoreShard, EVALUATION_PROTOCOL } = await nightly();
    const { heldOutTargets, targetsOf } = await import('../../shared/domain/evaluation/splits.js');
    const targets = heldOutTargets(dataset, EVALUATION_PROTOCOL, { seed: run.seed });
    const heldOutUsers = [...Array(dataset.users.size).keys()].filter(
      (u) => targetsOf(targets, u).length > 0,
    );
    expect(heldOutUsers.length).toBeGreaterThan(0);
    for (const shard of run.shards)
      await scoreShard(deps, {
        algorithm: 'cf',
        version: run.version,
        snapshot: run.snapshot,
        numResults: 10,
        seed: run.seed,
        shard,
      });
    // the stored model (trained without the held-out rows) does rank some of them: the filter matters
    const { getAlgorithm } = await import('../../shared/domain/algorithms/registry.js');
    const { runKeys } = await import('../../shared/pipeline/snapshot.js');
    const model = getAlgorithm('cf').deserialize!(
      await deps.artifacts.get(runKeys.model(run.version, 'cf')),
      dataset,
    );
    let unfiltered = 0;
    for (const u of heldOutUsers) {
      const held = targetsOf(targets, u);
      unfiltered += [...model.recommend(u, 10).items].filter((i) => held.includes(i)).length;
      const ids = new Set([...held].map((i) => dataset.items.ids[i]));
      const list = await deps.recommendations.getUserList('cf', run.version, dataset.users.ids[u]);
      expect((list ?? []).filter((x) => ids.has(x.itemId))).toEqual([]);
    }
    expect(unfiltered).toBeGreaterThan(0);
  });
});
