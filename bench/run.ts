/**
 * `npm run bench` lists the benchmarks with what each measures; `npm run bench -- NAME [ARGS...]` runs one
 * (the same as `npx tsx bench/NAME.ts ARGS...`).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(fileURLToPath(import.meta.url));

/** The bench scripts and the first sentence of each one's leading doc comment. */
function benches(): { name: string; what: string }[] {
  return readdirSync(BENCH)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .sort()
    .map((f) => {
      const doc = /\/\*\*([\s\S]*?)\*\//.exec(readFileSync(join(BENCH, f), 'utf8'))?.[1] ?? '';
      const text = doc
        .split('\n')
        .map((l) => l.replace(/^\s*\*\s?/, '').trim())
        .filter((l) => l !== '')
        .join(' ');
      const sentence = /^(.*?[.:])(\s|$)/.exec(text)?.[1] ?? text;
      return { name: f.slice(0, -3), what: sentence.length > 110 ? `${sentence.slice(0, 109)}…` : sentence };
    });
}

const [name, ...rest] = process.argv.slice(2);
const all = benches();
if (!name || name === '--help' || name === 'list') {
  console.log('usage: npm run bench -- NAME [ARGS...]   (each prints its figures)\n');
  const width = Math.max(...all.map((b) => b.name.length));
  for (const b of all) console.log(`  ${b.name.padEnd(width)}  ${b.what}`);
} else if (!all.some((b) => b.name === name)) {
  console.error(`osusume: no bench "${name}"; one of: ${all.map((b) => b.name).join(', ')}`);
  process.exitCode = 2;
} else {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(BENCH, `${name}.ts`), ...rest], {
    stdio: 'inherit',
  });
  process.exitCode = r.status ?? 1;
}
