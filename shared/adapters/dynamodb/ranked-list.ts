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
 * The stored shape of a ranked list: two parallel lists. A 500-entry list is ~11.5 KB this way versus
 * ~13.5 KB as [itemId, score] pairs and ~19 KB as {itemId, score} maps (bench/store-sizes.ts), far
 * below the 400 KB item limit; one eventually consistent read of it costs 1.5 RCU.
 */
export interface ListItem {
  readonly pk: string;
  readonly itemIds: string[];
  readonly scores: number[];
  readonly expiresAt: number;
}

/** Builds the stored item for a ranked list (validates ids and scores). */
export function toListItem(pk: string, items: readonly ScoredItem[], expiresAt: number): ListItem {
  const { itemIds, scores } = compactList(items);
  return { pk, itemIds, scores, expiresAt };
}

/** Decodes a stored ranked list. */
export function fromListItem(item: Record<string, unknown>): ScoredItem[] {
  return expandList((item.itemIds as string[]) ?? [], (item.scores as number[]) ?? []);
}

/** Epoch seconds at which an item written now expires. */
export function expiryOf(options: ListTableOptions): number {
  const now = options.now?.() ?? Date.now();
  return Math.floor(now / 1000) + (options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS);
}
