/**
 * Item ids in a layout the request function maps without parsing: the ids' UTF-8 bytes back to back, their
 * offsets, and an open-addressing hash table (FNV-1a of the bytes, linear probing) from id to index. Loading
 * 100k ids is three typed-array views instead of a JSON.parse and a Map of 100k entries (about a third of
 * the session model's cold init, bench/results/session-serving.md); a request looks up its few session items
 * and decodes only the ids it returns.
 */
export interface PackedIdArrays {
  readonly bytes: Uint8Array;
  /** n + 1 offsets into `bytes`. */
  readonly offsets: Int32Array;
  /** Power-of-two table of index + 1 (0 = empty). */
  readonly slots: Int32Array;
}

import { DataError } from '../../errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** FNV-1a over bytes[from, to). */
function fnv1a(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let p = from; p < to; p++) h = Math.imul(h ^ bytes[p], 0x01000193);
  return h >>> 0;
}

/** Packs ids (index order) with their hash table; a repeated id keeps its first index. */
export function packIds(ids: readonly string[]): PackedIdArrays {
  const encoded = ids.map((id) => encoder.encode(id));
  const offsets = new Int32Array(ids.length + 1);
  for (let i = 0; i < ids.length; i++) offsets[i + 1] = offsets[i] + encoded[i].length;
  const bytes = new Uint8Array(offsets[ids.length]);
  for (let i = 0; i < ids.length; i++) bytes.set(encoded[i], offsets[i]);
  let size = 2;
  while (size < ids.length * 2) size *= 2;
  const slots = new Int32Array(size);
  const packed = { bytes, offsets, slots };
  const table = new PackedIds(packed);
  for (let i = 0; i < ids.length; i++) {
    if (table.indexOf(ids[i]) >= 0) continue;
    let s = fnv1a(bytes, offsets[i], offsets[i + 1]) & (size - 1);
    while (slots[s] !== 0) s = (s + 1) & (size - 1);
    slots[s] = i + 1;
  }
  return packed;
}

/** Read access to packed ids: index of an id, id of an index. */
export class PackedIds {
  readonly size: number;
  private scratch = new Uint8Array(1024);
  constructor(private readonly arrays: PackedIdArrays) {
    const { offsets, slots, bytes } = arrays;
    if (offsets.length < 1 || slots.length === 0 || (slots.length & (slots.length - 1)) !== 0)
      throw new DataError('packed ids: malformed offsets or hash table', 'model');
    if (offsets[offsets.length - 1] !== bytes.length)
      throw new DataError('packed ids: offsets do not match the id bytes', 'model');
    this.size = offsets.length - 1;
  }

  /** Index of `id`, -1 when absent. */
  indexOf(id: string): number {
    const { bytes, offsets, slots } = this.arrays;
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (this.scratch.length < id.length * 3) this.scratch = new Uint8Array(id.length * 3);
    const q = this.scratch;
    const n = encoder.encodeInto(id, q).written;
    const mask = slots.length - 1;
    // bounded: a damaged table without an empty slot must not loop forever
    for (let s = fnv1a(q, 0, n) & mask, probes = 0; probes < slots.length; s = (s + 1) & mask, probes++) {
      const v = slots[s];
      if (v === 0) return -1;
      if (v > this.size) continue;
      const i = v - 1;
      const from = offsets[i];
      if (offsets[i + 1] - from !== n) continue;
      let p = 0;
      while (p < n && bytes[from + p] === q[p]) p++;
      if (p === n) return i;
    }
    return -1;
  }

  /** The id at `index`. */
  idAt(index: number): string {
    const { bytes, offsets } = this.arrays;
    return decoder.decode(bytes.subarray(offsets[index], offsets[index + 1]));
  }

  /** Every id, index order (training and serialisation; the request path never needs them all). */
  all(): string[] {
    return Array.from({ length: this.size }, (_, i) => this.idAt(i));
  }

  get packed(): PackedIdArrays {
    return this.arrays;
  }
}
