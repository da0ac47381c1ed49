import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { NgItemStore } from '../../ports/stores.js';
import type { NgItem, Page } from '../../ports/types.js';
import { decodeCursor, encodeCursor, requireId, requireLimit } from '../validation.js';
import { dynamoCall } from './call.js';

type Key = Record<string, string>;

/**
 * The NG list on the ng-items table (`itemId` → { reason, createdAt }). Listing is a Scan: the list is
 * small (thousands at most) and read whole by allIds() for the request-path cache, so no index is needed.
 */
export class DynamoNgItemStore implements NgItemStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: { readonly tableName: string },
  ) {}

  async put(item: NgItem): Promise<void> {
    const Item = { itemId: requireId('itemId', item.itemId), reason: item.reason, createdAt: item.createdAt };
    await dynamoCall('PutItem', () =>
      this.doc.send(new PutCommand({ TableName: this.options.tableName, Item })),
    );
  }

  async delete(itemId: string): Promise<boolean> {
    const Key = { itemId: requireId('itemId', itemId) };
    const out = await dynamoCall('DeleteItem', () =>
      this.doc.send(new DeleteCommand({ TableName: this.options.tableName, Key, ReturnValues: 'ALL_OLD' })),
    );
    return out.Attributes !== undefined;
  }

  /**
   * One page in table (hash) order. Scans one item past `limit` so `next` is undefined exactly on the
   * last page; the cursor is the last returned key, base64url-encoded.
   */
  async list(limit: number, cursor?: string): Promise<Page<NgItem>> {
    requireLimit(limit);
    let start: Key | undefined = cursor === undefined ? undefined : decodeCursor(cursor, ['itemId']);
    const items: NgItem[] = [];
    let more = true;
    // A Scan page can stop early at 1 MB, so keep going until limit + 1 items or the table ends.
    while (items.length <= limit && more) {
      const out = await dynamoCall('Scan', () =>
        this.doc.send(
          new ScanCommand({
            TableName: this.options.tableName,
            Limit: limit + 1 - items.length,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const raw of out.Items ?? []) items.push(toNgItem(raw));
      start = out.LastEvaluatedKey as Key | undefined;
      more = start !== undefined;
    }
    if (items.length <= limit) return { items };
    const page = items.slice(0, limit);
    return { items: page, next: encodeCursor({ itemId: page[limit - 1].itemId }) };
  }

  async allIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    let start: Key | undefined;
    do {
      const out = await dynamoCall('Scan', () =>
        this.doc.send(
          new ScanCommand({
            TableName: this.options.tableName,
            ProjectionExpression: 'itemId',
            // strongly consistent: a scan that starts after a PUT answered must see the item
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const raw of out.Items ?? []) ids.add(raw.itemId as string);
      start = out.LastEvaluatedKey as Key | undefined;
    } while (start !== undefined);
    return ids;
  }
}

function toNgItem(raw: Record<string, unknown>): NgItem {
  const item: { itemId: string; reason?: string; createdAt: number } = {
    itemId: raw.itemId as string,
    createdAt: raw.createdAt as number,
  };
  if (typeof raw.reason === 'string') item.reason = raw.reason;
  return item;
}
