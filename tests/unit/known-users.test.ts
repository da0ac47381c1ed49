import { describe, expect, it } from 'vitest';
import { KnownUsersBuilder, mayContain, shardOf } from '../../shared/domain/personalize/known-users.js';

describe('known-user Bloom filter', () => {
  it('contains every added user and few others (under 2 % false positives at the sized count)', () => {
    const n = 400_000; // more than one shard
    const b = new KnownUsersBuilder('r', n);
    expect(b.layout.shards).toBeGreaterThan(1);
    for (let i = 0; i < n; i++) b.add(`u${String(i).padStart(7, '0')}`);
    const has = (u: string) => mayContain(b.layout, b.shards[shardOf(u, b.layout.shards)], u);
    for (let i = 0; i < n; i += 997) expect(has(`u${String(i).padStart(7, '0')}`)).toBe(true);
    let falsePositives = 0;
    const probes = 50_000;
    for (let i = 0; i < probes; i++) if (has(`visitor-${i}`)) falsePositives++;
    expect(falsePositives / probes).toBeLessThan(0.02);
  });

  it('keeps each shard under the 350 KB state-record limit as base64', () => {
    const b = new KnownUsersBuilder('r', 2_000_000);
    for (const s of b.shards) expect(Buffer.from(s).toString('base64').length).toBeLessThan(350_000);
  });
});
