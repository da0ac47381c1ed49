import type { RecommendationStore } from '../../ports/stores.js';
import type { ScoredItem, UserRecommendations } from '../../ports/types.js';
import { type CompactList, compactList, expandList, requireId, requireKeyPart } from '../validation.js';

/** In-memory RecommendationStore for unit tests; validates and copies exactly like the DynamoDB adapter. */
export class MemoryRecommendationStore implements RecommendationStore {
  private readonly lists = new Map<string, CompactList>();

  async putUserLists(
    algorithm: string,
    version: string,
    lists: readonly UserRecommendations[],
  ): Promise<void> {
    // Validate everything first so a bad entry writes nothing (the DynamoDB adapter also fails before sending).
    const staged = lists.map(
      ({ userId, items }) => [key(algorithm, version, userId), compactList(items)] as const,
    );
    for (const [k, list] of staged) this.lists.set(k, list);
  }

  async getUserList(algorithm: string, version: string, userId: string): Promise<ScoredItem[] | undefined> {
    const list = this.lists.get(key(algorithm, version, userId));
    return list ? expandList(list.itemIds, list.scores) : undefined;
  }
}

function key(algorithm: string, version: string, userId: string): string {
  return `${requireKeyPart('algorithm', algorithm)}#${requireKeyPart('version', version)}#${requireId('userId', userId)}`;
}
