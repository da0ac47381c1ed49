/**
 * Scale of the sparse models (rp3beta, slim, ials; EASE is dense and bounded by maxItems) on the generator:
 * default 1M users × 100k items (≈ 20M interactions). Each model trains in its own child process so its
 * peak RSS is its own; batch scoring is timed on a sample of users and extrapolated to all of them. CPU
 * seconds are printed next to wall time: on the shared 2-core machine wall time mostly measures the others.
 * Prints time and peak memory per model and what that means for Lambda shards (10 GB, 15 min).
 *
 *   npx tsx bench/models-scale.ts [--users=1000000] [--items=100000] [--models=rp3beta,slim,ials] [--sample=2000]
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { trainIals } from '../shared/domain/algorithms/ials.js';
import type { Recommender } from '../shared/domain/algorithms/recommender.js';
import { trainRp3beta } from '../shared/domain/algorithms/rp3beta.js';
import { trainSlim } from '../shared/domain/algorithms/slim.js';
import { generateShop } from '../shared/domain/data/generator.js';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const USERS = Number(arg('users', '1000000'));
const ITEMS = Number(arg('items', '100000'));
const SAMPLE = Number(arg('sample', '2000'));
const child = arg('child', '');

const TRAINERS: Record<string, (d: ReturnType<typeof generateShop>['dataset']) => Recommender> = {
  rp3beta: (d) => trainRp3beta(d, {}),
  slim: (d) => trainSlim(d, {}),
  ials: (d) => trainIals(d, { iterations: Number(arg('iterations', '15')) }),
};

if (child !== '') {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const d = generateShop({ users: USERS, items: ITEMS, seed: 42 }).dataset;
  const genS = (performance.now() - t0) / 1000;
  const rssData = process.memoryUsage().rss;
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const model = TRAINERS[child](d);
  const trainS = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(c1);
  const genCpu = process.cpuUsage(c0);
  // every `step`-th user, so the sample spans light and heavy users alike
  const step = Math.max(1, Math.floor(d.users.size / SAMPLE));
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  let scored = 0;
  for (let u = 0; u < d.users.size; u += step) {
    model.recommend(u, 25);
    scored++;
  }
  const perUserMs = (performance.now() - t2) / scored;
  const sc = process.cpuUsage(c2);
  const perUserCpuMs = (sc.user + sc.system) / 1000 / scored;
  console.log(
    JSON.stringify({
      model: child,
      users: d.users.size,
      items: d.items.size,
      interactions: d.interactions.length,
      genS,
      trainS,
      trainCpuS: (cpu.user + cpu.system) / 1e6,
      genCpuS: (genCpu.user + genCpu.system) / 1e6 - (cpu.user + cpu.system) / 1e6,
      perUserMs,
      perUserCpuMs,
      dataMiB: rssData / 2 ** 20,
      peakMiB: process.resourceUsage().maxRSS / 1024,
      load: loadavg()[0],
    }),
  );
} else {
  const models = arg('models', 'rp3beta,slim,ials').split(',');
  console.log(`generator ${USERS} users × ${ITEMS} items (seed 42), each model in its own process\n`);
  console.log(
    '| model | interactions | generate CPU s | train wall s | train CPU s | score CPU ms/user | all users, CPU s | peak RSS MiB | load |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of models) {
    const out = execFileSync(
      process.execPath,
      [
        '--max-old-space-size=9000',
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        `--child=${m}`,
        ...process.argv.slice(2).filter((a) => !a.startsWith('--models=')),
      ],
      { maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] },
    ).toString();
    const r = JSON.parse(out.trim().split('\n').pop()!);
    console.log(
      `| ${r.model} | ${r.interactions} | ${r.genCpuS.toFixed(0)} | ${r.trainS.toFixed(0)} | ${r.trainCpuS.toFixed(0)} | ` +
        `${r.perUserCpuMs.toFixed(2)} | ${((r.perUserCpuMs * r.users) / 1000).toFixed(0)} | ${r.peakMiB.toFixed(0)} | ${r.load.toFixed(1)} |`,
    );
  }
}
