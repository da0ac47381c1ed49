import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../domain/errors.js';
import { POPULARITY_PAGE_ITEMS, type PopularityStore } from '../../ports/stores.js';
import type { ScoredItem, SegmentList } from '../../ports/types.js';
import { requireId, requireKeyPart } from '../validation.js';
import { batchGet } from './batch-reader.js';
import { batchWrite } from './batch-writer.js';
import { dynamoCall } from './call.js';
import { expiryOf, fromListItem, type ListTableOptions, toListItem } from './ranked-list.js';

const PREFIX = 'pop#';

/** Partition key of a segment's popularity list: `pop#{version}#{segment}`. */
export function segmentListKey(version: string, segment: string): string {
  return `${PREFIX}${requireKeyPart('version', version)}#${requireId('segment', segment)}`;
}

/**
 * Partition key of a further page (>= 1) of a segment's list: `popp#{version}#{page}#{segment}` (the
 * segment last, so no segment name can make two keys collide).
 */
export function segmentPageKey(version: string, segment: string, page: number): string {
  if (!Number.isInteger(page) || page < 1) throw new ValidationError('page must be an integer >= 1', 'page');
  return `popp#${requireKeyPart('version', version)}#${page}#${requireId('segment', segment)}`;
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
      for (let page = 0; page === 0 || page * POPULARITY_PAGE_ITEMS < items.length; page++) {
        const pk = page === 0 ? segmentListKey(version, segment) : segmentPageKey(version, segment, page);
        const slice = items.slice(page * POPULARITY_PAGE_ITEMS, (page + 1) * POPULARITY_PAGE_ITEMS);
        byKey.set(pk, toListItem(pk, slice, expiresAt));
      }
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

  async getListPage(version: string, segment: string, page: number): Promise<ScoredItem[] | undefined> {
    const Key = { pk: segmentPageKey(version, segment, page) };
    const out = await dynamoCall('GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.options.tableName, Key })),
    );
    return out.Item ? fromListItem(out.Item) : undefined;
  }
}
