import { POPULARITY_PAGE_ITEMS, type PopularityStore } from '../../ports/stores.js';
import type { ScoredItem, SegmentList } from '../../ports/types.js';
import { type CompactList, compactList, expandList, requireId, requireKeyPart } from '../validation.js';

/** In-memory PopularityStore for unit tests; pages a long list like the DynamoDB adapter. */
export class MemoryPopularityStore implements PopularityStore {
  private readonly lists = new Map<string, CompactList>();

  async putSegmentLists(version: string, lists: readonly SegmentList[]): Promise<void> {
    const staged = lists.map(({ segment, items }) => [key(version, segment), compactList(items)] as const);
    for (const [k, list] of staged) this.lists.set(k, list);
  }

  async getSegmentLists(version: string, segments: readonly string[]): Promise<Map<string, ScoredItem[]>> {
    const out = new Map<string, ScoredItem[]>();
    for (const segment of segments) {
      const page = this.page(version, segment, 0);
      if (page && !out.has(segment)) out.set(segment, page);
    }
    return out;
  }

  async getListPage(version: string, segment: string, page: number): Promise<ScoredItem[] | undefined> {
    return this.page(version, segment, page);
  }

  private page(version: string, segment: string, page: number): ScoredItem[] | undefined {
    const list = this.lists.get(key(version, segment));
    if (!list) return undefined;
    const start = page * POPULARITY_PAGE_ITEMS;
    if (page > 0 && start >= list.itemIds.length) return undefined;
    const end = start + POPULARITY_PAGE_ITEMS;
    return expandList(list.itemIds.slice(start, end), list.scores.slice(start, end));
  }
}

function key(version: string, segment: string): string {
  return `${requireKeyPart('version', version)}#${requireId('segment', segment)}`;
}
