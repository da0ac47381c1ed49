import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeShop } from '../../shared/domain/data/generator.js';
import { ROOT } from '../helpers/start-process.js';

const run = promisify(execFile);

/** Runs the osusume CLI; resolves with its exit code and both streams (never rejects on a non-zero exit). */
async function osusume(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['shared/cli/osusume.mjs', ...args], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
let data: string;
let badLine: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'osusume-cli-data-'));
  data = join(dir, 'shop');
  await writeShop({ users: 120, items: 80, days: 10, seed: 5 }, data);
  const file = join(data, 'interactions.csv');
  const lines = (await readFile(file, 'utf8')).split('\n');
  badLine = lines.length; // the file ends with a newline: the number of the line appended next
  await appendFile(file, `${','.repeat(lines[0].split(',').length - 1)}\n`); // every field empty
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('every command that loads data says which rows it skipped', () => {
  const expectReport = (stderr: string) => {
    expect(stderr).toMatch(/interactions\.csv: 1 of \d+ rows skipped/);
    expect(stderr).toContain(`interactions.csv:${badLine}: empty USER_ID`);
  };

  it('evaluate prints the skipped rows', async () => {
    const r = await osusume(
      'evaluate',
      '--data',
      data,
      '--algorithms',
      'popularity',
      '--k',
      '5',
      '--out',
      join(dir, 'eval'),
    );
    expect(r.code).toBe(0);
    expectReport(r.stderr);
  });

  it('batch-recommend prints the skipped rows', async () => {
    await writeFile(join(dir, 'in.jsonl'), '{"userId":"u000001"}\n');
    const r = await osusume(
      'batch-recommend',
      '--data',
      data,
      '--algorithm',
      'popularity',
      '--input',
      join(dir, 'in.jsonl'),
      '--output',
      join(dir, 'out.jsonl'),
    );
    expect(r.code).toBe(0);
    expectReport(r.stderr);
  });

  it('simulate prints the skipped rows', async () => {
    const r = await osusume('simulate', '--data', data, '--write-train', join(dir, 'train'));
    expect(r.code).toBe(0);
    expectReport(r.stderr);
  });

  it('start and pipeline run (the local stack) log the skipped rows', async () => {
    const lines: string[] = [];
    const { startLocalStack } = await import('../../shared/adapters/local/local-stack.js');
    const stack = await startLocalStack({ data, log: (l) => lines.push(l) });
    await stack.stop();
    expectReport(lines.join('\n'));
  });

  it('evaluate fails with one line naming file:line on an unterminated quote', async () => {
    const broken = join(dir, 'broken');
    await writeShop({ users: 50, items: 30, days: 5, seed: 1 }, broken);
    const file = join(broken, 'interactions.csv');
    const text = (await readFile(file, 'utf8')).split('\n');
    text[3] = text[3].replace(',', ',"');
    await writeFile(file, text.join('\n'));
    const r = await osusume(
      'evaluate',
      '--data',
      broken,
      '--algorithms',
      'popularity',
      '--out',
      join(dir, 'e2'),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${file}:4: unterminated quoted field`);
  });
});
