/**
 * Sample-data generator throughput: time, rows/s, file sizes and peak RSS of writeShop.
 *   npx tsx bench/generate.ts            # defaults, 100k users, then 1M users / 100k items (~20M rows)
 *   npx tsx bench/generate.ts --quick    # skip the 1M-user case
 * Output goes to a temporary folder that is removed afterwards (the large case writes ~0.8 GB).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GenerateOptions, writeShop } from '../shared/domain/data/generator.js';

const quick = process.argv.includes('--quick');
const cases: { name: string; options: GenerateOptions }[] = [
  { name: 'defaults (npm start)', options: {} },
  { name: '100k users / 20k items', options: { users: 100_000, items: 20_000 } },
  { name: '100k users / 100k items / 90 days', options: { users: 100_000, items: 100_000, days: 90 } },
];
if (!quick) cases.push({ name: '1M users / 100k items', options: { users: 1_000_000, items: 100_000 } });

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

const root = await mkdtemp(join(tmpdir(), 'osusume-bench-generate-'));
try {
  for (const { name, options } of cases) {
    const dir = join(root, String(cases.findIndex((c) => c.name === name)));
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 50);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const counts = await writeShop(options, dir);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    // CPU time too: on a shared machine wall time mostly measures the neighbours.
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const sizes: string[] = [];
    for (const f of ['interactions.csv', 'users.csv', 'items.csv'])
      sizes.push(`${f} ${mib((await stat(join(dir, f))).size)}`);
    console.log(
      `${name}: ${counts.users} users, ${counts.items} items, ${counts.interactions} interactions ` +
        `in ${seconds.toFixed(2)} s = ${Math.round(counts.interactions / seconds).toLocaleString('en-US')} rows/s (CPU ${cpuSeconds.toFixed(2)} s = ` +
        `${Math.round(counts.interactions / cpuSeconds).toLocaleString('en-US')} rows/CPU-s); ` +
        `${sizes.join(', ')}; peak RSS ${mib(peakRss)}`,
    );
    await rm(dir, { recursive: true, force: true });
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
