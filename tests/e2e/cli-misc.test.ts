import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/start-process.js';

const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function exec(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd: ROOT, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const osusume = (args: string[], env?: Record<string, string>) =>
  exec(process.execPath, ['shared/cli/osusume.mjs', ...args], env);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'osusume-cli-misc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the CLI as a new user meets it', () => {
  it('prints the version of package.json', async () => {
    const r = await osusume(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('lists every command in --help, though a run loads only the command it names', async () => {
    const help = await osusume(['--help']);
    expect(help.code).toBe(0);
    for (const name of [
      'start',
      'generate',
      'evaluate',
      'batch-recommend',
      'pipeline',
      'import',
      'ab-report',
    ])
      expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    const one = await osusume(['batch-recommend', '--help']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('--algorithm <name>');
    const typo = await osusume(['batch-recomend']);
    expect(typo.stderr).toContain('(Did you mean batch-recommend?)');
  });

  it('npm run bench lists every bench script', async () => {
    const r = await exec('npm', ['run', '--silent', 'bench']);
    expect(r.code).toBe(0);
    for (const name of ['cli-start', 'load', 'request-path', 'store-sizes'])
      expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('npm run bench names the choices for an unknown bench', async () => {
    const r = await exec('npm', ['run', '--silent', 'bench', '--', 'nope']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no bench "nope"; one of: accuracy,');
  });

  it('README names only files that exist in the repository', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const named = new Set<string>();
    for (const m of readme.matchAll(/\]\(([^)#\s]+)\)/g)) if (!/^[a-z]+:/.test(m[1])) named.add(m[1]);
    for (const m of readme.matchAll(/[\w./-]+\.md\b/g)) named.add(m[0]);
    const missing = [...named].filter((f) => !existsSync(resolve(ROOT, f)));
    expect(missing).toEqual([]);
  });

  it('pipeline run rejects an unknown machine listing the choices its help lists', async () => {
    const help = await osusume(['pipeline', 'run', '--help']);
    const choices = /--machine <name>[\s\S]*?\(choices: ([^)]*?),\s+default/.exec(help.stdout)?.[1];
    expect(choices).toBe('"scoring", "personalize", "all"');
    const r = await osusume(['pipeline', 'run', '--machine', 'nightly']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('Allowed choices are scoring, personalize, all.');
  });

  it('import without --src and without the default data folder says to pass --src', async () => {
    const r = await osusume(['import', 'movielens', '--out', join(dir, 'ml')], {
      OSUSUME_DATA: join(dir, 'no-data-here'),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`no movielens data at ${join(dir, 'no-data-here', 'ml-100k')}`);
    expect(r.stderr).toContain('pass --src PATH');
  });

  const data = resolve(ROOT, '../shared/data/ml-100k');
  it.skipIf(!existsSync(data))(
    'import movielens --out DIR works as README writes it (default --src)',
    async () => {
      const r = await osusume(['import', 'movielens', '--out', join(dir, 'ml')], { OSUSUME_DATA: '' });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`imported movielens from ${data}`);
      expect((await readFile(join(dir, 'ml', 'interactions.csv'), 'utf8')).split('\n')[0]).toMatch(
        /^USER_ID,ITEM_ID,TIMESTAMP/,
      );
    },
  );
});
