import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedShopDir, osusume } from '../helpers/cli-shop.js';

// cheap candidates keep the validation search to a few seconds
const AUTO = ['--auto-candidates', 'cf,session,popularity', '--tune-trials', '6'];

const shopDir = generatedShopDir('osusume-auto-', { users: 300, items: 200, days: 20, seed: 3 });

describe('--algorithm auto', () => {
  it('evaluate resolves auto to the champion tuned on the training part and says which and why', async () => {
    const out = join(shopDir(), 'eval');
    const { stdout } = await osusume([
      'evaluate',
      '--data',
      join(shopDir(), 'data'),
      '--algorithms',
      'auto,cf',
      '--protocol',
      'random',
      '--out',
      out,
      ...AUTO,
    ]);
    const line = stdout.split('\n').find((l) => l.startsWith('auto → '));
    expect(line).toMatch(
      /^auto → (cf|session|popularity): champion \1: validation precision@10 0\.\d{4} .* 6 trials on \d+ validation users carved from the training data/,
    );
    const result = JSON.parse(await readFile(join(out, 'evaluation.json'), 'utf8'));
    expect(result.results.map((r: { algorithm: string }) => r.algorithm)).toEqual(['auto', 'cf']);
    expect(result.results[0].metrics.precision).toBeGreaterThan(0);
    expect(result.notes.at(-1)).toBe(line);
  }, 120_000);

  it('batch-recommend answers every user with the champion', async () => {
    const input = join(shopDir(), 'users.jsonl');
    const output = join(shopDir(), 'out.jsonl');
    await writeFile(
      input,
      ['{"userId":"u000000"}', '{"userId":"u000001"}', '{"userId":"nobody"}'].join('\n'),
    );
    const { stdout } = await osusume([
      'batch-recommend',
      '--data',
      join(shopDir(), 'data'),
      '--algorithm',
      'auto',
      '--input',
      input,
      '--output',
      output,
      '--num-results',
      '5',
      ...AUTO,
    ]);
    expect(stdout).toMatch(/^auto → (cf|session|popularity): champion/m);
    expect(stdout).toMatch(/answered 3 of 3 lines \(0 bad, 1 unknown users/);
    const lines = (await readFile(output, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.output.recommendedItems.length)).toEqual([5, 5, 5]);
  }, 120_000);

  it('names a bad budget option before loading anything', async () => {
    await expect(
      osusume([
        'batch-recommend',
        '--data',
        join(shopDir(), 'missing'),
        '--algorithm',
        'auto',
        '--input',
        'a',
        '--output',
        'b',
        '--tune-trials',
        '0',
      ]),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--tune-trials must be between 1 and 500/),
    });
  });
});
