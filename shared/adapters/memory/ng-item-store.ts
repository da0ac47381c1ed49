import type { NgItemStore } from '../../ports/stores.js';
import type { NgItem, Page } from '../../ports/types.js';
import { decodeCursor, encodeCursor, requireId, requireLimit } from '../validation.js';

/**
 * In-memory NgItemStore for unit tests. Pages in itemId order; the cursor (last returned itemId) has
 * the same opaque format as the DynamoDB adapter's, so a page survives deletes between calls.
 */
export class MemoryNgItemStore implements NgItemStore {
  private readonly items = new Map<string, NgItem>();

  async put(item: NgItem): Promise<void> {
    const itemId = requireId('itemId', item.itemId);
    const copy: { itemId: string; reason?: string; createdAt: number } = {
      itemId,
      createdAt: item.createdAt,
    };
    if (item.reason !== undefined) copy.reason = item.reason;
    this.items.set(itemId, copy);
  }

  async delete(itemId: string): Promise<boolean> {
    return this.items.delete(requireId('itemId', itemId));
  }

  async list(limit: number, cursor?: string): Promise<Page<NgItem>> {
    requireLimit(limit);
    const after = cursor === undefined ? undefined : decodeCursor(cursor, ['itemId']).itemId;
    const ids = [...this.items.keys()].sort();
    let start = 0;
    if (after !== undefined) while (start < ids.length && ids[start] <= after) start++;
    const page = ids.slice(start, start + limit).map((id) => ({ ...this.items.get(id)! }));
    const hasMore = start + limit < ids.length;
    return hasMore
      ? { items: page, next: encodeCursor({ itemId: page[page.length - 1].itemId }) }
      : { items: page };
  }

  async allIds(): Promise<Set<string>> {
    return new Set(this.items.keys());
  }
}
