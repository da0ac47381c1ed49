/**
 * Start-up time of the CLI: `osusume --help` as shipped (the JavaScript built into dist/ by `npm ci`), next to
 * the same command through tsx (what every start cost before the build) and a bare `node -e 0`, so a slow shared
 * machine can be told apart from a slow CLI. Fresh processes, interleaved, median of --runs (default 15). Each
 * process also reports its own CPU time (user + system), which a busy shared machine inflates far less than the
 * wall time.
 *   npx tsx bench/cli-start.ts [--runs 15]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain-JS build script without type declarations
import { buildCli, isBuildFresh } from '../shared/build/build-cli.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_S = 0.3;
const i = process.argv.indexOf('--runs');
const RUNS = i >= 0 ? Number(process.argv[i + 1]) : 15;
if (!Number.isInteger(RUNS) || RUNS < 1)
  throw new Error(`--runs must be a positive integer, got ${process.argv[i + 1]}`);

if (!isBuildFresh()) {
  console.log('dist/ is older than the sources: building first');
  await buildCli();
}

const variants = [
  { label: 'osusume --help (built, as shipped)', args: ['shared/cli/osusume.mjs', '--help'] },
  { label: 'osusume --help through tsx (before)', args: ['--import', 'tsx', 'shared/cli/main.ts', '--help'] },
  { label: 'node -e 0 (the machine)', args: ['-e', '0'] },
];
// prints the process's CPU seconds on exit, so the parent can read them from stderr
const CPU_REPORT =
  "data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\ncpu-us '+(u.user+u.system)+'\\n')})";
const times = variants.map(() => [] as number[]);
const cpu = variants.map(() => [] as number[]);
for (let r = 0; r < RUNS; r++) {
  variants.forEach((v, k) => {
    const t = performance.now();
    const out = spawnSync(process.execPath, ['--import', CPU_REPORT, ...v.args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (out.status !== 0) throw new Error(`${v.label} exited ${out.status}: ${out.stderr}`);
    times[k].push((performance.now() - t) / 1000);
    cpu[k].push(Number(/cpu-us (\d+)/.exec(String(out.stderr))?.[1]) / 1e6);
  });
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(
  `node ${process.version}, ${RUNS} fresh processes per variant, interleaved; load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} (2 cores)\n`,
);
console.log('| command | median s | min s | max s | CPU s (median) | target |');
console.log('|---|---|---|---|---|---|');
variants.forEach((v, k) => {
  const xs = times[k];
  const target = k === 0 ? `≤ ${TARGET_S} s ${median(xs) <= TARGET_S ? '(met)' : '(MISSED)'}` : '—';
  console.log(
    `| ${v.label} | ${median(xs).toFixed(3)} | ${Math.min(...xs).toFixed(3)} | ${Math.max(...xs).toFixed(3)} | ${median(cpu[k]).toFixed(3)} | ${target} |`,
  );
});
