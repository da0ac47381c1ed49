/**
 * The set of user ids Amazon Personalize was trained on, as a Bloom filter: ~10 bits per user for a 1 %
 * false-positive rate (a false positive only means a cold user gets Personalize's answer, as before), split
 * into shards small enough for one state record each, so a request reads one shard per process.
 */

/** Bits per shard: 192 KiB, 256 KiB as base64, under the 350 KB state-record limit (~157,000 users a shard). */
export const SHARD_BITS = 192 * 1024 * 8;
const BITS_PER_USER = 10;
const HASHES = 7;

/** How a published set is laid out (stored in its pointer). */
export interface KnownUsersLayout {
  readonly id: string;
  readonly shards: number;
  readonly bitsPerShard: number;
  readonly hashes: number;
  /** Users the filter was sized for (the snapshot's user count). */
  readonly users: number;
}

/** FNV-1a over UTF-16 code units, with a seed: two of these give the double hashing of the filter. */
function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // final avalanche (murmur3 fmix32): FNV alone clusters on short ids that differ in one digit
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The shard a user id belongs to. */
export function shardOf(userId: string, shards: number): number {
  return fnv1a(userId, 0x9747b28c) % shards;
}

function positions(userId: string, bits: number, hashes: number): number[] {
  const h1 = fnv1a(userId, 0);
  const h2 = fnv1a(userId, 0x5bd1e995) | 1;
  const out: number[] = [];
  for (let i = 0; i < hashes; i++) out.push(((h1 + Math.imul(i, h2)) >>> 0) % bits);
  return out;
}

/** Builds the filter shards of a set of user ids streamed in (duplicates are harmless), sized for `expected`. */
export class KnownUsersBuilder {
  readonly layout: KnownUsersLayout;
  readonly shards: Uint8Array[];

  constructor(id: string, expected: number) {
    const bits = Math.max(1, expected) * BITS_PER_USER;
    const shards = Math.max(1, Math.ceil(bits / SHARD_BITS));
    const bitsPerShard = Math.max(64, Math.ceil(bits / shards / 8) * 8);
    this.layout = { id, shards, bitsPerShard, hashes: HASHES, users: expected };
    this.shards = Array.from({ length: shards }, () => new Uint8Array(bitsPerShard / 8));
  }

  add(userId: string): void {
    const bytes = this.shards[shardOf(userId, this.layout.shards)];
    for (const p of positions(userId, this.layout.bitsPerShard, this.layout.hashes))
      bytes[p >>> 3] |= 1 << (p & 7);
  }
}

/** Whether `userId` may be in the shard (false: certainly not trained on). */
export function mayContain(layout: KnownUsersLayout, shard: Uint8Array, userId: string): boolean {
  for (const p of positions(userId, layout.bitsPerShard, layout.hashes))
    if ((shard[p >>> 3] & (1 << (p & 7))) === 0) return false;
  return true;
}
