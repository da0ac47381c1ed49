import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ItemCatalogPage } from '../../domain/filters/item-catalog.js';
import type { ItemCatalogStore } from '../../ports/stores.js';
import { requireKeyPart } from '../validation.js';
import { batchGet } from './batch-reader.js';
import { batchWrite } from './batch-writer.js';
import { expiryOf, type ListTableOptions } from './ranked-list.js';

/** Partition key of one page of a version's item catalogue: `items#{version}#{page}`. */
export function catalogPageKey(version: string, page: number): string {
  return `items#${requireKeyPart('version', version)}#${page}`;
}

/**
 * A popularity version's item attributes on the recommendations table, one item per page holding the
 * page as JSON text (`json`), expiring with the version's lists.
 */
export class DynamoItemCatalogStore implements ItemCatalogStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: ListTableOptions,
  ) {}

  async putCatalog(version: string, pages: readonly ItemCatalogPage[]): Promise<void> {
    const expiresAt = expiryOf(this.options);
    const requests = pages.map((page, n) => ({
      PutRequest: { Item: { pk: catalogPageKey(version, n), json: JSON.stringify(page), expiresAt } },
    }));
    await batchWrite(this.doc, this.options.tableName, requests, this.options.batch);
  }

  async getCatalog(version: string, pages: number): Promise<ItemCatalogPage[]> {
    const keys = Array.from({ length: pages }, (_, n) => ({ pk: catalogPageKey(version, n) }));
    const items = await batchGet(this.doc, this.options.tableName, keys, this.options.batch);
    const byKey = new Map(items.map((item) => [item.pk as string, item.json as string]));
    const out: ItemCatalogPage[] = [];
    for (const { pk } of keys) {
      const json = byKey.get(pk);
      if (json !== undefined) out.push(JSON.parse(json) as ItemCatalogPage);
    }
    return out;
  }
}
