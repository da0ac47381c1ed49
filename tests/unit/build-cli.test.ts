import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain-JS build script without type declarations
import { buildCli, isBuildFresh } from '../../shared/build/build-cli.mjs';
import { ROOT } from '../helpers/start-process.js';

const run = promisify(execFile);

/** A miniature repository: a TypeScript module importing another, a worker entry and a handler. */
async function miniRepo(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'osusume-build-'));
  await mkdir(join(root, 'shared/lib'), { recursive: true });
  await mkdir(join(root, 'functions/api'), { recursive: true });
  await writeFile(join(root, 'shared/lib/b.ts'), 'export const b: number = 2;\n');
  await writeFile(
    join(root, 'shared/lib/a.ts'),
    "import type { Dataset } from './none.js';\nimport { b } from './b.js';\nexport const a = (x?: Dataset) => (x ? 0 : b + 1);\n",
  );
  await writeFile(join(root, 'shared/lib/worker.mjs'), 'export const w = 1;\n');
  await writeFile(
    join(root, 'functions/api/h.ts'),
    "import { a } from '../../shared/lib/a.js';\nexport const handler = async () => a();\n",
  );
  return root;
}

/** Sets a path's times `seconds` into the future, as an edit after the build would. */
async function touchLater(path: string, seconds = 5): Promise<void> {
  const t = new Date(Date.now() + seconds * 1000);
  await utimes(path, t, t);
}

describe('shared/build/build-cli.mjs', () => {
  const roots: string[] = [];
  afterAll(async () => {
    await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
  });
  const fresh = async () => {
    const root = await miniRepo();
    roots.push(root);
    await buildCli(root);
    return root;
  };

  it('builds every module into dist/ under the same paths, runnable as plain JavaScript', async () => {
    const root = await fresh();
    const h = await import(pathToFileURL(join(root, 'dist/functions/api/h.js')).href);
    expect(await h.handler()).toBe(3);
    expect(await readFile(join(root, 'dist/shared/lib/worker.mjs'), 'utf8')).toContain('export const w');
    expect(isBuildFresh(root)).toBe(true);
  });

  it('is stale once a source file is edited after the build', async () => {
    const root = await fresh();
    await touchLater(join(root, 'shared/lib/b.ts'));
    expect(isBuildFresh(root)).toBe(false);
  });

  it('is stale once a file is added to a source folder after the build', async () => {
    const root = await fresh();
    await writeFile(join(root, 'functions/api/new.ts'), 'export {};\n');
    await touchLater(join(root, 'functions/api'));
    expect(isBuildFresh(root)).toBe(false);
  });

  it('is not fresh without a finished build', async () => {
    const root = await miniRepo();
    roots.push(root);
    expect(isBuildFresh(root)).toBe(false);
  });
});

describe('the osusume CLI as shipped', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osusume-cli-modules-'));
    if (!isBuildFresh()) await buildCli();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the built JavaScript, not TypeScript through tsx', async () => {
    // a module hook that records every module Node resolves while `osusume --help` runs
    const log = join(dir, 'modules.log');
    await writeFile(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`,
    );
    await writeFile(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
    );
    const { stdout } = await run(
      process.execPath,
      ['--import', pathToFileURL(join(dir, 'register.mjs')).href, 'shared/cli/osusume.mjs', '--help'],
      { cwd: ROOT },
    );
    expect(stdout).toContain('Usage: osusume');
    const modules = (await readFile(log, 'utf8')).trim().split('\n');
    expect(modules).toContain(pathToFileURL(join(ROOT, 'dist/shared/cli/main.js')).href);
    expect(modules.filter((m) => m.endsWith('.ts') || m.includes('/node_modules/tsx/'))).toEqual([]);
  });
});
