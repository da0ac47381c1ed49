/**
 * CF batch inference on MovieLens 100K, whole process, osusume vs a numpy/scipy ItemKNN script
 * (bench/itemknn-reference.py: sparse cosine, top-100 neighbours, top-10 per user, JSON Lines out).
 * Both read the same imported dataset folder and the same input of every user; runs alternate in one
 * process tree, so machine load hits both alike. Prints each round, the medians and the ratio.
 *
 *   npx tsx bench/cf-batch.ts [--rounds=5]
 * Needs the built CLI (npm run build) and python3 with numpy and scipy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importMovieLens } from '../shared/domain/data/importers.js';

const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 5);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/shared/cli/main.js');
const REFERENCE = join(ROOT, 'bench/itemknn-reference.py');
const SRC = join(process.env.OSUSUME_DATA ?? '/work/shared/data', 'ml-100k');

const dir = mkdtempSync(join(tmpdir(), 'osusume-cf-batch-'));
try {
  const data = join(dir, 'ml');
  await importMovieLens(SRC, data);
  const users = new Set<string>();
  for (const line of readFileSync(join(data, 'interactions.csv'), 'utf8').split('\n').slice(1))
    if (line !== '') users.add(line.slice(0, line.indexOf(',')));
  const input = join(dir, 'users.jsonl');
  writeFileSync(input, [...users].map((u) => JSON.stringify({ userId: u })).join('\n'));

  const osusume = () =>
    run(process.execPath, [
      CLI,
      'batch-recommend',
      '--data',
      data,
      '--algorithm',
      'cf',
      '--input',
      input,
      '--output',
      join(dir, 'osusume.jsonl'),
      '--num-results',
      '10',
    ]);
  // the reference runs with OpenBLAS's own defaults: tuning variables set on this machine are dropped
  const refEnv = { ...process.env };
  delete refEnv.OPENBLAS_CORETYPE;
  delete refEnv.OPENBLAS_L2_SIZE;
  const reference = () =>
    run('python3', [REFERENCE, data, input, join(dir, 'reference.jsonl'), '100', '10'], refEnv);

  const python = execFileSync(
    'python3',
    ['-c', 'import numpy, scipy; print(numpy.__version__, scipy.__version__)'],
    {
      env: refEnv,
    },
  )
    .toString()
    .trim();
  console.log(
    `ML-100K batch-recommend, ${users.size} users, top-10, whole process; node ${process.version}, numpy/scipy ${python}`,
  );
  console.log('\n| round | osusume cf s | numpy/scipy ItemKNN s | load |');
  console.log('|---:|---:|---:|---:|');
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // alternate which goes first, so neither always runs on a warmer page cache
    let x: number;
    let y: number;
    if (r % 2 === 0) {
      x = osusume();
      y = reference();
    } else {
      y = reference();
      x = osusume();
    }
    a.push(x);
    b.push(y);
    console.log(`| ${r + 1} | ${x.toFixed(2)} | ${y.toFixed(2)} | ${loadavg()[0].toFixed(1)} |`);
  }
  const ma = median(a);
  const mb = median(b);
  console.log(`| median | ${ma.toFixed(2)} | ${mb.toFixed(2)} | |`);
  console.log(`\nosusume / reference wall-time ratio (medians): ${(ma / mb).toFixed(2)}× (target ≤ 1.0×)`);
  const lines = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split('\n').length;
  console.log(`output lines: osusume ${lines('osusume.jsonl')}, reference ${lines('reference.jsonl')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args[0]} failed (${r.status}): ${r.stderr.toString().slice(0, 500)}`);
  return s;
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
