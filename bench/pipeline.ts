/**
 * Nightly pipeline benchmarks.
 *  1. The whole nightly scoring state machine run locally (same ASL, real handlers, embedded DynamoDB) on
 *     MovieLens 100K, with the trainers' default options: total time and time per state.
 *  2. Time per shard of a large shard plan on a generated shop (default 200k users / 20k items; the
 *     issue's full size is --users 1000000 --items 100000): the real train and scoreShard steps with
 *     in-memory stores, so the figure is compute per shard; the DynamoDB write cost is measured separately
 *     on one shard against dynalite in part 1's numbers (ScoreXShard).
 *
 *  3. `--tuning`: two nights on MovieLens 100K in one process (issue 14): a tuning night (never tuned: the
 *     Tune stage's trials Map, TUNING_MAX_TRIALS trials) then a night that is not due (stored params
 *     reused), wall time and time per state side by side, and the tuning night's AWS cost: each Task
 *     state's handler time × its function's memorySize in serverless.yml, in Lambda GB-s and USD. With
 *     TUNING_MAX_TRIALS below 40 (a loaded machine) it also prints the full 40-trial night scaled from the
 *     trials run. The second night is the "without tuning" figure: the first night of a shop always tunes.
 *  4. `--tuner-scale`: the tuner's trials on a generated shop (--tune-users/--tune-items/--tune-days):
 *     one trial per algorithm as the TuneTrial Lambda runs it (load, validation split carved from the
 *     evaluation's training part, train, score ≤ TUNING_VALIDATION_USERS users), time and peak RSS
 *     against the Lambda limits (900 s, 10,240 MB), extrapolated linearly in interactions to 20M.
 *
 *   npx tsx bench/pipeline.ts [--skip-ml] [--skip-shards] [--users N] [--items M] [--shard-users S]
 *     [--sample-shards K] [--tuning] [--tuner-scale --tune-users N --tune-items M --tune-days D
 *     --tune-algorithms cf,session]
 */
import '../shared/polyfills.js';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FolderArtifactStore } from '../shared/adapters/local/folder-artifact-store.js';
import { MemoryNgItemStore } from '../shared/adapters/memory/ng-item-store.js';
import { MemoryPipelineStateStore } from '../shared/adapters/memory/pipeline-state-store.js';
import { MemoryPopularityStore } from '../shared/adapters/memory/popularity-store.js';
import { MemoryRecommendationStore } from '../shared/adapters/memory/recommendation-store.js';
import { MemoryUserProfileStore } from '../shared/adapters/memory/user-profile-store.js';
import { parseConfig } from '../shared/config/config.js';
import { writeShop } from '../shared/domain/data/generator.js';
import { importMovieLens } from '../shared/domain/data/importers.js';
import { planShards } from '../shared/domain/pipeline/shard-plan.js';
import { prepareRun, scoreShard, trainModel } from '../shared/pipeline/nightly.js';
import type { PipelineDeps } from '../shared/pipeline/pipeline-container.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ML = '/work/shared/data/ml-100k';
const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

async function movieLensNightly(tmp: string): Promise<void> {
  if (!existsSync(join(ML, 'u.data'))) {
    console.log(`skipping MovieLens 100K: ${ML} not found`);
    return;
  }
  const dir = join(tmp, 'ml-100k');
  await importMovieLens(ML, dir);
  process.env.ARTIFACT_DIR = join(tmp, 'artifacts');
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const { startLocalStack } = await import('../shared/adapters/local/local-stack.js');
  const stack = await startLocalStack({ data: dir });
  try {
    const { runLocalPipeline, formatTimings, criticalPathMs } = await import(
      '../shared/adapters/local/local-pipeline.js'
    );
    const result = await runLocalPipeline({ root: ROOT, machine: 'scoring', input: { data: dir } });
    const out = result.output as {
      users: number;
      items: number;
      interactions: number;
      shards: number;
      metrics: Record<string, { ndcg: number; precision: number }>;
    };
    console.log(`\n== nightly scoring on MovieLens 100K, run locally (${result.status}) ==`);
    if (result.status !== 'SUCCEEDED') console.log(`${result.error}: ${result.cause}`);
    else {
      console.log(
        `${out.users} users, ${out.items} items, ${out.interactions} interactions, ${out.shards} shard(s) per algorithm`,
      );
      console.log(
        `total ${fmt(result.ms)} locally (wall clock, one process: branches and shards share one event loop)`,
      );
      console.log(
        `estimated on AWS (parallel Lambdas, from handler times, no cold starts): ${fmt(criticalPathMs(result))}`,
      );
      for (const [a, m] of Object.entries(out.metrics))
        console.log(
          `  ${a.padEnd(10)} NDCG@10 ${m.ndcg.toFixed(4)}  P@10 ${m.precision.toFixed(4)} (Personalize protocol)`,
        );
      console.log('time per state (Map iterations summed):');
      for (const line of formatTimings(result)) console.log(line);
    }
  } finally {
    await stack.stop();
  }
}

async function shardTiming(tmp: string): Promise<void> {
  const users = arg('--users', 200_000);
  const items = arg('--items', 20_000);
  const shardUsers = arg('--shard-users', 5000);
  const sample = arg('--sample-shards', 4);
  const dir = join(tmp, 'shop');
  let t = performance.now();
  const counts = await writeShop({ users, items, seed: 11 }, dir);
  console.log(
    `\n== shard plan on a generated shop: ${JSON.stringify(counts)} (generated in ${fmt(performance.now() - t)}) ==`,
  );
  const config = parseConfig({
    TABLE_RECOMMENDATIONS: 'bench-rec',
    TABLE_STATE: 'bench-state',
    TABLE_NG_ITEMS: 'bench-ng',
    TABLE_USERS: 'bench-users',
    TABLE_EVENTS: 'bench-events',
    PIPELINE_SHARD_USERS: String(shardUsers),
  });
  const deps = {
    config,
    artifacts: new FolderArtifactStore(join(tmp, 'bench-artifacts')),
    recommendations: new MemoryRecommendationStore(),
    popularityStore: new MemoryPopularityStore(),
    profiles: new MemoryUserProfileStore(),
    ngItems: new MemoryNgItemStore(),
    state: new MemoryPipelineStateStore(),
  } as unknown as PipelineDeps;
  t = performance.now();
  const run = await prepareRun(deps, { data: dir, options: { numResults: 100 } });
  console.log(
    `Prepare (snapshot + load + plan): ${fmt(performance.now() - t)}; plan: ${run.shardCount} shards of ≤${shardUsers} users (distributed Map: ${run.distributed})`,
  );
  const full = planShards(1_000_000, shardUsers).length;
  const rows: string[] = [];
  for (const algorithm of ['cf', 'session'] as const) {
    t = performance.now();
    const model = await trainModel(deps, { algorithm, run });
    const trainMs = performance.now() - t;
    const picks = Array.from(
      { length: Math.min(sample, run.shardCount) },
      (_, i) => run.shards[Math.floor((i * run.shardCount) / sample)],
    );
    const times: number[] = [];
    for (const shard of picks) {
      const o = await scoreShard(deps, {
        algorithm,
        version: run.version,
        snapshot: run.snapshot,
        numResults: 100,
        shard,
      });
      times.push(o.ms);
    }
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    rows.push(
      `  ${algorithm.padEnd(8)} train ${fmt(trainMs).padStart(8)}  model ${(model.bytes / 1e6).toFixed(1)} MB  per shard ${fmt(mean).padStart(8)} (${times.map((x) => fmt(x)).join(', ')})  ` +
        `≈ ${((mean * full) / 1000 / 60).toFixed(1)} Lambda-min for 1M users (${full} shards)`,
    );
  }
  console.log(rows.join('\n'));
  console.log(
    "  (per shard = compute + in-memory writes; shard Lambdas run in parallel up to the Map's MaxConcurrency)",
  );
}

/** Lambda x86 price per GB-second and per request (ap-northeast-1, as us-east-1). */
const USD_PER_GB_S = 0.0000166667;
const USD_PER_REQUEST = 0.2 / 1e6;

/** Lambda function key of every Task state (walking Parallel branches and Map processors). */
function taskFunctions(definition: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, s] of Object.entries(states)) {
      const res = s.Resource as { 'Fn::GetAtt'?: [string, string] } | undefined;
      if (s.Type === 'Task' && res?.['Fn::GetAtt']) out.set(name, res['Fn::GetAtt'][0]);
      for (const b of (s.Branches as { States: Record<string, Record<string, unknown>> }[]) ?? [])
        walk(b.States);
      const p = (s.ItemProcessor ?? s.Iterator) as
        | { States: Record<string, Record<string, unknown>> }
        | undefined;
      if (p) walk(p.States);
    }
  };
  walk((definition as { States: Record<string, Record<string, unknown>> }).States);
  return out;
}

async function tuningNights(tmp: string): Promise<void> {
  if (!existsSync(join(ML, 'u.data'))) {
    console.log(`skipping the tuning nights: ${ML} not found`);
    return;
  }
  const { readFileSync } = await import('node:fs');
  const { readServerlessYml } = await import('../shared/adapters/local/serverless-yml.js');
  const dir = join(tmp, 'ml-100k-tuning');
  await importMovieLens(ML, dir);
  process.env.ARTIFACT_DIR = join(tmp, 'artifacts-tuning');
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  // a tuning night's tuned params may move a metric; this bench measures time, not the gate
  process.env.QUALITY_GATE_MARGIN = '1';
  const { startLocalStack } = await import('../shared/adapters/local/local-stack.js');
  const stack = await startLocalStack({ data: dir });
  const functions = taskFunctions(
    JSON.parse(readFileSync(join(ROOT, 'statemachines/nightly-scoring.asl.json'), 'utf8')),
  );
  const yml = readServerlessYml(ROOT) as unknown as { functions: Record<string, { memorySize?: number }> };
  const memoryMb = (fn: string) => yml.functions[fn]?.memorySize ?? 1024;
  try {
    const { runLocalPipeline } = await import('../shared/adapters/local/local-pipeline.js');
    const nights: { label: string; result: Awaited<ReturnType<typeof runLocalPipeline>> }[] = [];
    for (const label of ['tuning night (never tuned)', 'next night (not due, stored params)']) {
      const result = await runLocalPipeline({ root: ROOT, machine: 'scoring', input: { data: dir } });
      nights.push({ label, result });
      if (result.status !== 'SUCCEEDED') console.log(`${label}: ${result.error}: ${result.cause}`);
    }
    console.log('\n== nightly scoring on MovieLens 100K: a tuning night and the next night, run locally ==');
    console.log('| night | status | wall | TuneTrial tasks | Lambda GB-s | Lambda USD |');
    console.log('|---|---|---|---|---|---|');
    const costs = nights.map(({ result }) => {
      let gbS = 0;
      let requests = 0;
      for (const s of result.states) {
        const fn = functions.get(s.name);
        if (!fn) continue;
        gbS += (s.taskMs / 1000) * (memoryMb(fn) / 1024);
        requests += s.count;
      }
      return { gbS, usd: gbS * USD_PER_GB_S + requests * USD_PER_REQUEST };
    });
    nights.forEach(({ label, result }, i) => {
      const trials = result.states.find((s) => s.name === 'TuneTrial')?.count ?? 0;
      console.log(
        `| ${label} | ${result.status} | ${fmt(result.ms)} | ${trials} | ${costs[i].gbS.toFixed(0)} | $${costs[i].usd.toFixed(4)} |`,
      );
    });
    // a night run with fewer trials than the default budget (TUNING_MAX_TRIALS=N, to fit a loaded machine):
    // scale its trial Map to the full budget; locally the trials share one event loop, so they add up
    const fullTrials = 40;
    const tune = nights[0].result.states.find((s) => s.name === 'TuneTrials');
    const trialsRun = nights[0].result.states.find((s) => s.name === 'TuneTrial')?.count ?? 0;
    if (tune && trialsRun > 0 && trialsRun < fullTrials) {
      const scale = fullTrials / trialsRun;
      const wall = nights[0].result.ms + tune.ms * (scale - 1);
      const trialGbS = nights[0].result.states
        .filter((s) => s.name === 'TuneTrial')
        .reduce((g, s) => g + ((s.taskMs / 1000) * memoryMb(functions.get(s.name) ?? '')) / 1024, 0);
      const gbS = costs[0].gbS + trialGbS * (scale - 1);
      console.log(
        `full tuning night (${fullTrials} trials), scaled from these ${trialsRun}: wall ≈ ${fmt(wall)}, Lambda ≈ ${gbS.toFixed(0)} GB-s ($${(costs[0].usd + (gbS - costs[0].gbS) * USD_PER_GB_S + (fullTrials - trialsRun) * USD_PER_REQUEST).toFixed(4)})`,
      );
    }
    console.log(
      '\ntime per state, side by side (wall = time in the state; task = handler time, summed over Map iterations):',
    );
    console.log(
      '| state | function (MB) | tuning night wall | task | GB-s | next night wall | task | GB-s |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    const names = [...new Set(nights.flatMap(({ result }) => result.states.map((s) => s.name)))];
    for (const name of names) {
      const cells = nights.map(({ result }) => result.states.find((s) => s.name === name));
      if (cells.every((c) => !c || (c.ms === 0 && c.taskMs === 0))) continue;
      const fn = functions.get(name);
      const gb = (c?: { taskMs: number }) => (fn && c ? ((c.taskMs / 1000) * memoryMb(fn)) / 1024 : 0);
      const col = (c?: { ms: number; taskMs: number; count: number }) =>
        c
          ? `${fmt(c.ms)}${c.count > 1 ? ` (${c.count}×)` : ''} | ${fn ? fmt(c.taskMs) : '-'} | ${fn ? gb(c).toFixed(1) : '-'}`
          : '- | - | -';
      console.log(
        `| ${name} | ${fn ? `${fn} (${memoryMb(fn)})` : '-'} | ${col(cells[0])} | ${col(cells[1])} |`,
      );
    }
    const out = nights.map(
      ({ result }) =>
        (result.output ?? {}) as {
          metrics?: Record<string, { precision: number; ndcg: number }>;
          tuning?: {
            source: string;
            reason: string;
            champion: { algorithm: string; score: number } | null;
            params: { algorithm: string; params: unknown; score: number }[];
          };
        },
    );
    const t = out[0].tuning;
    console.log(
      `\ntuning night: ${t?.reason}; champion ${t?.champion?.algorithm} (validation P@10 ${t?.champion?.score.toFixed(4)})`,
    );
    for (const p of t?.params ?? [])
      console.log(`  ${p.algorithm}: validation P@10 ${p.score.toFixed(4)} with ${JSON.stringify(p.params)}`);
    console.log(`next night: ${out[1].tuning?.source}: ${out[1].tuning?.reason}`);
    // what each algorithm's trials cost (the budget's knob), from the record the tuning night stored
    const { getPipelineDeps } = await import('../shared/pipeline/pipeline-container.js');
    const { TUNED_PARAMS_KEY } = await import('../shared/pipeline/tuning.js');
    const record = await getPipelineDeps().state.getRecord<{ trials: { algorithm: string; ms: number }[] }>(
      TUNED_PARAMS_KEY,
    );
    const byAlgorithm = new Map<string, number[]>();
    for (const tr of record?.trials ?? [])
      byAlgorithm.set(tr.algorithm, [...(byAlgorithm.get(tr.algorithm) ?? []), tr.ms]);
    console.log('\ntrial handler time per algorithm (the last tuning night):');
    console.log('| algorithm | trials | median | total |');
    console.log('|---|---|---|---|');
    for (const [a, ms] of byAlgorithm) {
      const sorted = [...ms].sort((x, y) => x - y);
      const total = ms.reduce((x, y) => x + y, 0);
      console.log(`| ${a} | ${ms.length} | ${fmt(sorted[Math.floor(ms.length / 2)])} | ${fmt(total)} |`);
    }
    for (const [i, { label }] of nights.entries()) {
      const models = (nights[i].result.output as { models?: Record<string, { ownSearch?: unknown }> })
        ?.models;
      for (const [a, m] of Object.entries(models ?? {}))
        if (m?.ownSearch) console.log(`${label}: ${a}'s own search ${JSON.stringify(m.ownSearch)}`);
    }
    console.log(
      '\nnightly Evaluate (Personalize protocol hold-out, never seen by the tuner), P@10 / NDCG@10:',
    );
    console.log('| algorithm | tuning night | next night |');
    console.log('|---|---|---|');
    for (const a of Object.keys(out[0].metrics ?? {})) {
      const m = (i: number) => out[i].metrics?.[a];
      const f = (x?: { precision: number; ndcg: number }) =>
        x ? `${x.precision.toFixed(4)} / ${x.ndcg.toFixed(4)}` : '-';
      console.log(`| ${a} | ${f(m(0))} | ${f(m(1))} |`);
    }
    console.log(
      `\nLambda price used: $${USD_PER_GB_S} per GB-s + $0.20 per 1M requests (x86); GB-s = handler ms measured here × memorySize of serverless.yml (a Lambda with 10,240 MB has 6 vCPUs, this machine 2 shared cores: an upper bound).`,
    );
  } finally {
    await stack.stop();
  }
}

async function tunerScale(tmp: string): Promise<void> {
  const users = arg('--tune-users', 200_000);
  const items = arg('--tune-items', 20_000);
  const days = arg('--tune-days', 30);
  const dir = join(tmp, 'tune-shop');
  let t = performance.now();
  const counts = await writeShop({ users, items, days, seed: 13 }, dir);
  console.log(
    `\n== the tuner on a generated shop: ${JSON.stringify(counts)} (generated in ${fmt(performance.now() - t)}) ==`,
  );
  const config = parseConfig({
    TABLE_RECOMMENDATIONS: 'bench-rec',
    TABLE_STATE: 'bench-state',
    TABLE_NG_ITEMS: 'bench-ng',
    TABLE_USERS: 'bench-users',
    TABLE_EVENTS: 'bench-events',
  });
  const deps = {
    config,
    artifacts: new FolderArtifactStore(join(tmp, 'tune-artifacts')),
    recommendations: new MemoryRecommendationStore(),
    popularityStore: new MemoryPopularityStore(),
    profiles: new MemoryUserProfileStore(),
    ngItems: new MemoryNgItemStore(),
    state: new MemoryPipelineStateStore(),
  } as unknown as PipelineDeps;
  const { planTuning, tuneTrial } = await import('../shared/pipeline/tuning.js');
  const { SCORED_ALGORITHMS } = await import('../shared/pipeline/nightly.js');
  t = performance.now();
  const run = await prepareRun(deps, { data: dir, options: { numResults: 100 } });
  console.log(`Prepare: ${fmt(performance.now() - t)}; ${run.interactions} interactions`);
  const only = args.includes('--tune-algorithms')
    ? args[args.indexOf('--tune-algorithms') + 1].split(',')
    : undefined;
  const algorithms = only ?? SCORED_ALGORITHMS;
  const plan = await planTuning(deps, { run, algorithms });
  const scale = 20_000_000 / run.interactions;
  console.log(
    `plan: ${plan.trials.length} trials (${plan.reason}); one trial per algorithm measured (its defaults), then one sampled trial each`,
  );
  console.log(
    '| trial | params | validation P@10 | users | time | peak RSS | × to 20M interactions | within 900 s? |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  const picks = [
    ...algorithms.map((a) => plan.trials.find((x) => x.algorithm === a && x.index === 0)),
    ...algorithms.map((a) => plan.trials.find((x) => x.algorithm === a && x.index === 1)),
  ].filter((x) => x !== undefined);
  let first = true;
  for (const trial of picks) {
    const t0 = performance.now();
    const r = await tuneTrial(deps, { trial, snapshot: run.snapshot, seed: run.seed });
    const ms = performance.now() - t0;
    const rss = process.resourceUsage().maxRSS / 1024;
    const est = (ms / 1000) * scale;
    console.log(
      `| ${trial.algorithm}#${trial.index}${first ? ' (+ validation split)' : ''} | ${JSON.stringify(trial.params)} | ${r.score?.toFixed(4) ?? r.error} | ${r.users} | ${fmt(ms)} | ${rss.toFixed(0)} MB | ≈ ${est.toFixed(0)} s | ${est < 900 ? 'yes' : 'no: shard'} |`,
    );
    first = false;
  }
}

async function main(): Promise<void> {
  console.log(
    `machine: ${availableParallelism()} cores, load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  const tmp = await mkdtemp(join(tmpdir(), 'osusume-bench-pipeline-'));
  try {
    if (!args.includes('--skip-ml')) await movieLensNightly(tmp);
    if (!args.includes('--skip-shards')) await shardTiming(tmp);
    if (args.includes('--tuning')) await tuningNights(tmp);
    if (args.includes('--tuner-scale')) await tunerScale(tmp);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
