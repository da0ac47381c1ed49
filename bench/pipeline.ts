/**
 * Nightly pipeline benchmarks.
 *  1. The whole nightly scoring state machine run locally (same ASL, real handlers, embedded DynamoDB) on
 *     MovieLens 100K, with the trainers' default options: total time and time per state.
 *  2. Time per shard of a large shard plan on a generated shop (default 200k users / 20k items; the
 *     issue's full size is --users 1000000 --items 100000): the real train and scoreShard steps with
 *     in-memory stores, so the figure is compute per shard; the DynamoDB write cost is measured separately
 *     on one shard against dynalite in part 1's numbers (ScoreXShard).
 *
 *   npx tsx bench/pipeline.ts [--skip-ml] [--users N] [--items M] [--shard-users S] [--sample-shards K]
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
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
