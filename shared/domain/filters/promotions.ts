import { Rng } from '../random.js';

/** Slots reserved for a promotion: round(numResults × percent / 100), at least 1. */
export function promotedSlots(numResults: number, percentPromotedItems: number): number {
  return Math.min(numResults, Math.max(1, Math.round((numResults * percentPromotedItems) / 100)));
}

/**
 * Merges promoted items into a list as Personalize places them: at random positions relative to the
 * other items, in their own order relative to each other. `seed` makes the placement repeatable.
 */
export function placePromoted<T>(others: readonly T[], promoted: readonly T[], seed: number): T[] {
  const total = others.length + promoted.length;
  const rng = new Rng(seed);
  // a uniform random subset of positions for the promoted items (selection sampling, in order)
  const isPromoted = new Uint8Array(total);
  let need = promoted.length;
  for (let i = 0; i < total && need > 0; i++) {
    if (rng.next() * (total - i) < need) {
      isPromoted[i] = 1;
      need--;
    }
  }
  const out: T[] = new Array(total);
  let p = 0;
  let o = 0;
  for (let i = 0; i < total; i++) out[i] = isPromoted[i] ? promoted[p++] : others[o++];
  return out;
}

/** A 32-bit seed from a string (FNV-1a), e.g. from a recommendationId. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
