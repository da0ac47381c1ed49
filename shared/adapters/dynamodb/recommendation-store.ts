import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RecommendationStore } from '../../ports/stores.js';
import type { ScoredItem, UserRecommendations } from '../../ports/types.js';
import { requireId, requireKeyPart } from '../validation.js';
import { batchedGet } from './batched-get.js';
import { batchWrite } from './batch-writer.js';
import { expiryOf, fromListItem, type ListTableOptions, toListItem } from './ranked-list.js';

/** Partition key of a user's list: `rec#{algorithm}#{version}#{userId}`. */
export function userListKey(algorithm: string, version: string, userId: string): string {
  return `rec#${requireKeyPart('algorithm', algorithm)}#${requireKeyPart('version', version)}#${requireId('userId', userId)}`;
}

/**
 * Per-user lists on the recommendations table, one item per (algorithm, version, user). A new version
 * is written beside the old one and only served once the pointer flips; old versions expire by TTL.
 */
export class DynamoRecommendationStore implements RecommendationStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: ListTableOptions,
  ) {}

  async putUserLists(
    algorithm: string,
    version: string,
    lists: readonly UserRecommendations[],
  ): Promise<void> {
    const expiresAt = expiryOf(this.options);
    // Last list per user wins; a batch must not repeat a key.
    const byKey = new Map<string, ReturnType<typeof toListItem>>();
    for (const { userId, items } of lists) {
      const pk = userListKey(algorithm, version, userId);
      byKey.set(pk, toListItem(pk, items, expiresAt));
    }
    const requests = [...byKey.values()].map((Item) => ({ PutRequest: { Item } }));
    await batchWrite(this.doc, this.options.tableName, requests, this.options.batch);
  }

  async getUserList(algorithm: string, version: string, userId: string): Promise<ScoredItem[] | undefined> {
    // coalesced with the request's other reads (its profile, the other lists) into one BatchGetItem
    const item = await batchedGet(this.doc, this.options.tableName, {
      pk: userListKey(algorithm, version, userId),
    });
    return item ? fromListItem(item) : undefined;
  }
}
