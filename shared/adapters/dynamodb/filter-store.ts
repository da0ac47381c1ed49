import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { FilterStore } from '../../ports/stores.js';
import type { FilterRecord } from '../../ports/types.js';
import { requireId } from '../validation.js';
import { dynamoCall } from './call.js';

const PREFIX = 'filter#';

/** Partition key of a named filter on the state table: `filter#{name}`. */
export function filterKey(name: string): string {
  return `${PREFIX}${requireId('name', name)}`;
}

/**
 * Named filters on the state table (`filter#{name}` → { expression, personalizeFilterArn?, updatedAt }).
 * Listing scans the (small) state table for the prefix: filters are few and listed only by admins.
 */
export class DynamoFilterStore implements FilterStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: { readonly tableName: string },
  ) {}

  async put(filter: FilterRecord): Promise<void> {
    const Item = {
      pk: filterKey(filter.name),
      expression: filter.expression,
      personalizeFilterArn: filter.personalizeFilterArn,
      updatedAt: filter.updatedAt,
    };
    await dynamoCall('PutItem', () =>
      this.doc.send(new PutCommand({ TableName: this.options.tableName, Item })),
    );
  }

  async get(name: string): Promise<FilterRecord | undefined> {
    const Key = { pk: filterKey(name) };
    // strongly consistent: right after a PUT answered, this process must use the new expression
    const out = await dynamoCall('GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.options.tableName, Key, ConsistentRead: true })),
    );
    return out.Item ? toRecord(out.Item) : undefined;
  }

  async delete(name: string): Promise<boolean> {
    const Key = { pk: filterKey(name) };
    const out = await dynamoCall('DeleteItem', () =>
      this.doc.send(new DeleteCommand({ TableName: this.options.tableName, Key, ReturnValues: 'ALL_OLD' })),
    );
    return out.Attributes !== undefined;
  }

  async list(): Promise<FilterRecord[]> {
    const out: FilterRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamoCall('Scan', () =>
        this.doc.send(
          new ScanCommand({
            TableName: this.options.tableName,
            FilterExpression: 'begins_with(pk, :p)',
            ExpressionAttributeValues: { ':p': PREFIX },
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const raw of page.Items ?? []) out.push(toRecord(raw));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

function toRecord(raw: Record<string, unknown>): FilterRecord {
  const record: { name: string; expression: string; personalizeFilterArn?: string; updatedAt: number } = {
    name: (raw.pk as string).slice(PREFIX.length),
    expression: raw.expression as string,
    updatedAt: raw.updatedAt as number,
  };
  if (typeof raw.personalizeFilterArn === 'string') record.personalizeFilterArn = raw.personalizeFilterArn;
  return record;
}
