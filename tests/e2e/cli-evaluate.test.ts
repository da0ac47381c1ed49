import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedShopDir, osusume } from '../helpers/cli-shop.js';

const shopDir = generatedShopDir('osusume-eval-', { users: 300, items: 200, days: 20, seed: 3 });

describe('osusume evaluate', () => {
  it('prints a metrics table and writes evaluation.json and evaluation.svg', async () => {
    const out = join(shopDir(), 'eval');
    const { stdout } = await osusume([
      'evaluate',
      '--data',
      join(shopDir(), 'data'),
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
    expect(svg).toContain('95% intervals');
    expect(json.results[0]).not.toHaveProperty('intervals');
  });
});

describe('osusume evaluate --protocol session', () => {
  it('imports session-rec files and prints next-item HR/MRR per repeat policy for a train → test pair', async () => {
    // two days of generated sessions: i → i+1, and the third click goes back to the first (so the fourth repeats too)
    const lines = (day: number, sessions: number) => {
      const rows = ['SessionId\tItemId\tTime'];
      for (let s = 0; s < sessions; s++) {
        const clicks = [(s * 7) % 40];
        for (let k = 1; k < 5; k++) clicks.push(k % 3 === 2 ? clicks[k - 2] : (clicks[k - 1] + 1) % 40);
        for (const [k, i] of clicks.entries())
          rows.push(`${day}${s}\t${i}\t${1_400_000_000 + day * 86400 + s * 600 + k * 30}`);
      }
      return `${rows.join('\n')}\n`;
    };
    await writeFile(join(shopDir(), 'tr.txt'), lines(1, 300));
    await writeFile(join(shopDir(), 'te.txt'), lines(2, 60));
    for (const [src, out] of [
      ['tr.txt', 'srec-train'],
      ['te.txt', 'srec-test'],
    ])
      await osusume(['import', 'session-rec', '--src', join(shopDir(), src), '--out', join(shopDir(), out)]);
    const out = join(shopDir(), 'eval-session');
    const { stdout } = await osusume([
      'evaluate',
      '--protocol',
      'session',
      '--data',
      join(shopDir(), 'srec-train'),
      '--test',
      join(shopDir(), 'srec-test'),
      '--out',
      out,
    ]);
    expect(stdout).toMatch(/60 test sessions, 240 targets \(50\.0 % repeat/);
    expect(stdout).toMatch(/session-knn\s+allow\s+\d\.\d{4} \[/);
    const json = JSON.parse(await readFile(join(out, 'evaluation-session.json'), 'utf8'));
    const allow = json.results.find((r: { policy: string }) => r.policy === 'allow');
    expect(allow.repeat.hr.value).toBeGreaterThan(0.9);
    expect(allow.hr.value).toBeGreaterThan(0.8);
  });
});

describe('osusume batch-recommend', () => {
  it('answers each input line in the Personalize batch format', async () => {
    const input = join(shopDir(), 'users.jsonl');
    const output = join(shopDir(), 'out.jsonl');
    await writeFile(input, ['{"userId":"u000001"}', 'oops', '{"userId":"stranger"}'].join('\n'));
    await osusume([
      'batch-recommend',
      '--data',
      join(shopDir(), 'data'),
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
