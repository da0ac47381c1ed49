import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PopularityStore } from '../../ports/stores.js';
import type { ScoredItem, SegmentList } from '../../ports/types.js';
import { requireId, requireKeyPart } from '../validation.js';
import { batchGet } from './batch-reader.js';
import { batchWrite } from './batch-writer.js';
import { expiryOf, fromListItem, type ListTableOptions, toListItem } from './ranked-list.js';

const PREFIX = 'pop#';

/** Partition key of a segment's popularity list: `pop#{version}#{segment}`. */
export function segmentListKey(version: string, segment: string): string {
  return `${PREFIX}${requireKeyPart('version', version)}#${requireId('segment', segment)}`;
}

/** Popularity lists per segment, on the recommendations table beside the per-user lists. */
export class DynamoPopularityStore implements PopularityStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: ListTableOptions,
  ) {}

  async putSegmentLists(version: string, lists: readonly SegmentList[]): Promise<void> {
    const expiresAt = expiryOf(this.options);
    const byKey = new Map<string, ReturnType<typeof toListItem>>();
    for (const { segment, items } of lists) {
      const pk = segmentListKey(version, segment);
      byKey.set(pk, toListItem(pk, items, expiresAt));
    }
    const requests = [...byKey.values()].map((Item) => ({ PutRequest: { Item } }));
    await batchWrite(this.doc, this.options.tableName, requests, this.options.batch);
  }

  async getSegmentLists(version: string, segments: readonly string[]): Promise<Map<string, ScoredItem[]>> {
    const segmentOf = new Map<string, string>();
    for (const segment of segments) segmentOf.set(segmentListKey(version, segment), segment);
    const keys = [...segmentOf.keys()].map((pk) => ({ pk }));
    const items = await batchGet(this.doc, this.options.tableName, keys, this.options.batch);
    const found = new Map<string, ScoredItem[]>();
    for (const item of items) found.set(segmentOf.get(item.pk as string)!, fromListItem(item));
    // Report in request order, independent of BatchGetItem's response order.
    const out = new Map<string, ScoredItem[]>();
    for (const segment of segments) {
      const list = found.get(segment);
      if (list && !out.has(segment)) out.set(segment, list);
    }
    return out;
  }
}
