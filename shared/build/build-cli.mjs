#!/usr/bin/env node
// Transpiles the TypeScript under shared/ and functions/ into dist/ (same paths, .js), file by file with esbuild,
// so the CLI and the handlers the local stack imports start as plain JavaScript instead of through tsx. No
// bundling: every module stays one module (one config cache, one client per process), and `dist/` mirrors the
// source tree, so relative imports and worker entries resolve as they do in the sources. Runs on `npm ci`
// (package.json "prepare"); shared/cli/osusume.mjs falls back to tsx when the sources are newer than the build.
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folders whose modules are built. */
export const SOURCE_DIRS = ['shared', 'functions'];
/** Written last: a build that did not finish leaves no stamp and is never used. */
export const STAMP = 'dist/.build-stamp';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every file and folder under the source folders, relative to `root`, with whether it is a folder. */
function entries(root) {
  const out = [];
  for (const dir of SOURCE_DIRS) {
    out.push({ path: dir, folder: true });
    for (const e of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
      out.push({ path: relative(root, join(e.parentPath ?? e.path, e.name)), folder: e.isDirectory() });
    }
  }
  return out;
}

/**
 * True when dist/ holds a finished build newer than every source file and folder (a folder's time changes when a
 * file in it is added, removed or renamed, which a file's own time does not show).
 */
export function isBuildFresh(root = ROOT) {
  let built;
  try {
    built = statSync(join(root, STAMP)).mtimeMs;
  } catch {
    return false;
  }
  for (const e of entries(root)) if (statSync(join(root, e.path)).mtimeMs > built) return false;
  return true;
}

/**
 * Builds dist/ from the sources; returns the number of modules written. The build goes to a temporary folder that
 * replaces dist/ only when complete, so a CLI starting meanwhile sees either a whole build or none (then tsx).
 */
export async function buildCli(root = ROOT) {
  const { build } = await import('esbuild');
  const tmp = `dist.tmp-${process.pid}`;
  rmSync(join(root, tmp), { recursive: true, force: true });
  const ts = [];
  const plain = [];
  for (const e of entries(root)) {
    if (e.folder) continue;
    if (e.path.endsWith('.ts') && !e.path.endsWith('.d.ts')) ts.push(e.path);
    else if (e.path.endsWith('.mjs')) plain.push(e.path); // worker entries: already JavaScript
  }
  await build({
    absWorkingDir: root,
    entryPoints: ts,
    outdir: tmp,
    outbase: '.',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  for (const p of plain) {
    mkdirSync(dirname(join(root, tmp, p)), { recursive: true });
    copyFileSync(join(root, p), join(root, tmp, p));
  }
  writeFileSync(join(root, tmp, relative('dist', STAMP)), `${new Date().toISOString()}\n`);
  const old = `dist.old-${process.pid}`;
  try {
    renameSync(join(root, 'dist'), join(root, old));
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  renameSync(join(root, tmp), join(root, 'dist'));
  rmSync(join(root, old), { recursive: true, force: true });
  return ts.length + plain.length;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && isBuildFresh()) process.exit(0);
  const t = performance.now();
  let n;
  try {
    n = await buildCli();
  } catch (err) {
    // e.g. `npm ci --omit=dev` (no esbuild): the CLI still works through tsx, so the install must not fail
    if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    process.stderr.write('osusume: esbuild is not installed; the CLI will run its TypeScript through tsx\n');
    process.exit(0);
  }
  process.stdout.write(`osusume: built ${n} modules into dist/ in ${Math.round(performance.now() - t)} ms\n`);
}
