import type { PopularityStore } from '../../ports/stores.js';
import type { ScoredItem, SegmentList } from '../../ports/types.js';
import { type CompactList, compactList, expandList, requireId, requireKeyPart } from '../validation.js';

/** In-memory PopularityStore for unit tests. */
export class MemoryPopularityStore implements PopularityStore {
  private readonly lists = new Map<string, CompactList>();

  async putSegmentLists(version: string, lists: readonly SegmentList[]): Promise<void> {
    const staged = lists.map(({ segment, items }) => [key(version, segment), compactList(items)] as const);
    for (const [k, list] of staged) this.lists.set(k, list);
  }

  async getSegmentLists(version: string, segments: readonly string[]): Promise<Map<string, ScoredItem[]>> {
    const out = new Map<string, ScoredItem[]>();
    for (const segment of segments) {
      const list = this.lists.get(key(version, segment));
      if (list && !out.has(segment)) out.set(segment, expandList(list.itemIds, list.scores));
    }
    return out;
  }
}

function key(version: string, segment: string): string {
  return `${requireKeyPart('version', version)}#${requireId('segment', segment)}`;
}
