import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { setOwn } from '../../domain/own-property.js';
import type { ItemAttributeStore } from '../../ports/item-attributes.js';
import { requireId, requireKeyPart } from '../validation.js';
import { batchGet } from './batch-reader.js';
import { batchWrite } from './batch-writer.js';
import { expiryOf, type ListTableOptions } from './ranked-list.js';

/** Partition key of an item's attributes: `attr#{version}#{itemId}`. */
export function itemAttributesKey(version: string, itemId: string): string {
  return `attr#${requireKeyPart('version', version)}#${requireId('itemId', itemId)}`;
}

/** Item attributes per version on the recommendations table, beside the lists; old versions expire by TTL. */
export class DynamoItemAttributeStore implements ItemAttributeStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: ListTableOptions,
  ) {}

  async putAttributes(
    version: string,
    records: readonly { itemId: string; attributes: Readonly<Record<string, string>> }[],
  ): Promise<void> {
    const expiresAt = expiryOf(this.options);
    const byKey = new Map<string, Record<string, unknown>>();
    for (const { itemId, attributes } of records) {
      // stored as [name, value] pairs: attribute names are data, never an object's keys here
      const pairs = Object.entries(attributes).map(([k, v]) => [k, String(v)]);
      const pk = itemAttributesKey(version, itemId);
      byKey.set(pk, { pk, itemId, pairs, expiresAt });
    }
    const requests = [...byKey.values()].map((Item) => ({ PutRequest: { Item } }));
    await batchWrite(this.doc, this.options.tableName, requests, this.options.batch);
  }

  async getAttributes(
    version: string,
    itemIds: readonly string[],
  ): Promise<Map<string, Readonly<Record<string, string>>>> {
    const keys = [...new Set(itemIds)].map((id) => ({ pk: itemAttributesKey(version, id) }));
    const items = await batchGet(this.doc, this.options.tableName, keys, this.options.batch);
    const out = new Map<string, Readonly<Record<string, string>>>();
    for (const item of items) {
      const attributes: Record<string, string> = {};
      for (const pair of (item.pairs as [string, string][]) ?? []) setOwn(attributes, pair[0], pair[1]);
      out.set(item.itemId as string, attributes);
    }
    return out;
  }
}
