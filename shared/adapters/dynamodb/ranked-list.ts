import type { ScoredItem } from '../../ports/types.js';
import { compactList, expandList } from '../validation.js';
import type { BatchOptions } from './batch-writer.js';

/** Default retention of list versions: long enough to roll back a few nightly runs. */
export const DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600;

/** Constructor options of the adapters on the recommendations table. */
export interface ListTableOptions {
  readonly tableName: string;
  /** Seconds after writing when the TTL may delete a list (default 7 days). */
  readonly retentionSeconds?: number;
  /** Clock in epoch ms (injected for tests). */
  readonly now?: () => number;
  readonly batch?: BatchOptions;
}

/**
 * The stored shape of a ranked list: the ids as one JSON string and the scores as one binary attribute
 * (float64, little-endian): two attributes for the SDK and DynamoDB to encode and decode instead of two
 * lists of up to 500 typed values each. A 500-entry list is ~11.1 KB this way (~11.5 KB as two lists,
 * ~19 KB as {itemId, score} maps; bench/store-sizes.ts), far below the 400 KB item limit.
 */
export interface ListItem {
  readonly pk: string;
  readonly ids: string;
  readonly scoreBytes: Uint8Array;
  readonly expiresAt: number;
}

/** Builds the stored item for a ranked list (validates ids and scores). */
export function toListItem(pk: string, items: readonly ScoredItem[], expiresAt: number): ListItem {
  const { itemIds, scores } = compactList(items);
  const scoreBytes = new Uint8Array(scores.length * 8);
  const view = new DataView(scoreBytes.buffer);
  for (let i = 0; i < scores.length; i++) view.setFloat64(i * 8, scores[i], true);
  return { pk, ids: JSON.stringify(itemIds), scoreBytes, expiresAt };
}

/** Decodes a stored ranked list (also the two-list shape written before, until its TTL). */
export function fromListItem(item: Record<string, unknown>): ScoredItem[] {
  if (typeof item.ids !== 'string' || !(item.scoreBytes instanceof Uint8Array))
    return expandList((item.itemIds as string[]) ?? [], (item.scores as number[]) ?? []);
  const ids = JSON.parse(item.ids) as string[];
  const bytes = item.scoreBytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Math.min(ids.length, bytes.byteLength >> 3);
  const out = new Array<ScoredItem>(n);
  for (let i = 0; i < n; i++) out[i] = { itemId: ids[i], score: view.getFloat64(i * 8, true) };
  return out;
}

/** Epoch seconds at which an item written now expires. */
export function expiryOf(options: ListTableOptions): number {
  const now = options.now?.() ?? Date.now();
  return Math.floor(now / 1000) + (options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS);
}
