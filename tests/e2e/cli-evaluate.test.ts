import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeShop } from '../../shared/domain/data/generator.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'shared', 'cli', 'osusume.mjs');

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'osusume-eval-'));
  await writeShop({ users: 300, items: 200, days: 20, seed: 3 }, join(dir, 'data'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('osusume evaluate', () => {
  it('prints a metrics table and writes evaluation.json and evaluation.svg', async () => {
    const out = join(dir, 'eval');
    const { stdout } = await run(process.execPath, [
      CLI,
      'evaluate',
      '--data',
      join(dir, 'data'),
      '--algorithms',
      'cf,popularity',
      '--protocol',
      'random',
      '--k',
      '5',
      '--out',
      out,
    ]);
    expect(stdout).toMatch(/algorithm\s+P@5\s+R@5\s+NDCG@5\s+MAP@5\s+MRR\s+coverage/);
    const json = JSON.parse(await readFile(join(out, 'evaluation.json'), 'utf8'));
    expect(json.results.map((r: { algorithm: string }) => r.algorithm)).toEqual(['cf', 'popularity']);
    expect(json.results[0].metrics.users).toBeGreaterThan(0);
    // every per-user average carries its 95% interval over users: table, JSON and chart
    expect(stdout).toMatch(/\ncf\s+\d\.\d{4}±\d\.\d{4}\s/);
    const { precision, ci95 } = json.results[0].metrics;
    expect(ci95.precision[0]).toBeLessThan(precision);
    expect(ci95.precision[1]).toBeGreaterThan(precision);
    const svg = await readFile(join(out, 'evaluation.svg'), 'utf8');
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('precision@5');
    expect(svg.match(/class="ci"/g)).toHaveLength(2 * 5);
  });
});

describe('osusume batch-recommend', () => {
  it('answers each input line in the Personalize batch format', async () => {
    const input = join(dir, 'users.jsonl');
    const output = join(dir, 'out.jsonl');
    await writeFile(input, ['{"userId":"u000001"}', 'oops', '{"userId":"stranger"}'].join('\n'));
    await run(process.execPath, [
      CLI,
      'batch-recommend',
      '--data',
      join(dir, 'data'),
      '--algorithm',
      'cf',
      '--input',
      input,
      '--output',
      output,
      '--num-results',
      '4',
    ]);
    const lines = (await readFile(output, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0].output.recommendedItems).toHaveLength(4);
    expect(lines[1]).toEqual({ input: 'oops', output: null, error: 'line 2: invalid JSON' });
    expect(lines[2].output.recommendedItems).toHaveLength(4);
  });
});
