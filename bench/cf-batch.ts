/**
 * CF batch inference on MovieLens 100K, whole process, osusume vs a numpy/scipy ItemKNN script
 * (bench/itemknn-reference.py: sparse cosine, top-100 neighbours, top-10 per user, JSON Lines out).
 * Both read the same imported dataset folder and the same input of every user; runs alternate in one
 * process tree, so machine load hits both alike. Prints each round, the medians and the ratio.
 *
 *   npx tsx bench/cf-batch.ts [--rounds=5] [--baseline=OTHER_CHECKOUT/dist/shared/cli/main.js]
 * Needs the built CLI (npm run build) and python3 with numpy and scipy. `--baseline` adds a third process per
 * round, another build of the CLI (e.g. the main branch's), for before/after figures from the same run.
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
const BASELINE = process.argv.find((a) => a.startsWith('--baseline='))?.slice(11);
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

  const cli = (main: string, out: string) => () =>
    run(process.execPath, [
      main,
      'batch-recommend',
      '--data',
      data,
      '--algorithm',
      'cf',
      '--input',
      input,
      '--output',
      join(dir, out),
      '--num-results',
      '10',
    ]);
  const osusume = cli(CLI, 'osusume.jsonl');
  const baseline = BASELINE ? cli(BASELINE, 'baseline.jsonl') : undefined;
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
  const head = ['osusume cf', 'reference', ...(baseline ? ['baseline'] : [])];
  console.log(
    `\n| round | ${head.map((h) => `${h} wall s`).join(' | ')} | ${head.map((h) => `${h} CPU s`).join(' | ')} | load |`,
  );
  console.log(`|---:|${head.map(() => '---:|---:|').join('')}---:|`);
  const a: Timing[] = [];
  const b: Timing[] = [];
  const c: Timing[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // rotate which goes first, so none always runs on a warmer page cache
    const order: [Timing[], () => Timing][] = [
      [a, osusume],
      [b, reference],
      ...(baseline ? ([[c, baseline]] as [Timing[], () => Timing][]) : []),
    ];
    const row: Timing[] = [];
    for (let k = 0; k < order.length; k++) {
      const [sink, fn] = order[(r + k) % order.length];
      sink.push(fn());
    }
    row.push(a[r], b[r], ...(baseline ? [c[r]] : []));
    console.log(
      `| ${r + 1} | ${row.map((x) => x.wall.toFixed(2)).join(' | ')} | ${row.map((x) => x.cpu.toFixed(2)).join(' | ')} | ${loadavg()[0].toFixed(1)} |`,
    );
  }
  const med = (xs: Timing[], k: 'wall' | 'cpu') => median(xs.map((v) => v[k]));
  const all = [a, b, ...(baseline ? [c] : [])];
  console.log(
    `| median | ${all.map((x) => med(x, 'wall').toFixed(2)).join(' | ')} | ${all.map((x) => med(x, 'cpu').toFixed(2)).join(' | ')} | |`,
  );
  console.log(
    `\nosusume / reference (medians): wall ${(med(a, 'wall') / med(b, 'wall')).toFixed(2)}×, ` +
      `CPU ${(med(a, 'cpu') / med(b, 'cpu')).toFixed(2)}× (target ≤ 1.0× wall)`,
  );
  if (baseline)
    console.log(
      `osusume / baseline (medians): wall ${(med(a, 'wall') / med(c, 'wall')).toFixed(2)}×, ` +
        `CPU ${(med(a, 'cpu') / med(c, 'cpu')).toFixed(2)}×; baseline / reference wall ${(med(c, 'wall') / med(b, 'wall')).toFixed(2)}×`,
    );
  const lines = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split('\n').length;
  console.log(`output lines: osusume ${lines('osusume.jsonl')}, reference ${lines('reference.jsonl')}`);
  if (baseline) {
    const same = readFileSync(join(dir, 'osusume.jsonl')).equals(readFileSync(join(dir, 'baseline.jsonl')));
    console.log(`osusume output ${same ? 'identical to' : 'DIFFERS from'} the baseline's`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

interface Timing {
  wall: number;
  cpu: number;
}

/** Runs one whole process; returns its wall and CPU (user + sys, via /usr/bin/time) seconds. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Timing {
  const timing = join(dir, 'time.txt');
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timing, cmd, ...args], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args[0]} failed (${r.status}): ${r.stderr.toString().slice(0, 500)}`);
  const [user, sys] = readFileSync(timing, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return { wall, cpu: user + sys };
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
