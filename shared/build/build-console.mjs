#!/usr/bin/env node
// Builds the console (console/ → console/dist) with Vite. Runs after the CLI build on `npm ci` (package.json
// "prepare") and, when a source is newer than the build, before `npm test`, so `npm start` and the browser tests
// of a fresh clone serve a current console. The page also imports the chart specs from shared/domain.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
/** What the bundle is built from (the page's own code and the shared modules it imports). */
const SOURCES = [
  'console/index.html',
  'console/vite.config.ts',
  'console/src',
  'shared/domain',
  'shared/use-cases',
];
const BUILT = 'console/dist/index.html';

function newest(path) {
  const s = statSync(join(ROOT, path));
  if (!s.isDirectory()) return s.mtimeMs;
  let t = s.mtimeMs;
  for (const e of readdirSync(join(ROOT, path), { recursive: true }))
    t = Math.max(t, statSync(join(ROOT, path, e)).mtimeMs);
  return t;
}

/** True when console/dist is newer than every source it is built from. */
export function isConsoleFresh() {
  let built;
  try {
    built = statSync(join(ROOT, BUILT)).mtimeMs;
  } catch {
    return false;
  }
  return SOURCES.every((s) => newest(s) <= built);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--if-stale') && isConsoleFresh()) process.exit(0);
  let vite;
  try {
    vite = await import('vite');
  } catch (err) {
    // `npm ci --omit=dev`: no Vite, no console; the API works and GET /console says how to build it
    if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    process.stderr.write('osusume: vite is not installed; the console is not built\n');
    process.exit(0);
  }
  const t = performance.now();
  await vite.build({ configFile: join(ROOT, 'console/vite.config.ts') });
  process.stdout.write(
    `osusume: built the console into console/dist in ${Math.round(performance.now() - t)} ms\n`,
  );
}
