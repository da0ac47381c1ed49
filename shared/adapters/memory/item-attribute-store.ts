import type { ItemAttributeStore } from '../../ports/item-attributes.js';
import { requireId, requireKeyPart } from '../validation.js';

/** In-memory ItemAttributeStore for tests and benches; copies like the DynamoDB adapter. */
export class MemoryItemAttributeStore implements ItemAttributeStore {
  private readonly items = new Map<string, Readonly<Record<string, string>>>();

  async putAttributes(
    version: string,
    records: readonly { itemId: string; attributes: Readonly<Record<string, string>> }[],
  ): Promise<void> {
    for (const { itemId, attributes } of records) this.items.set(key(version, itemId), { ...attributes });
  }

  async getAttributes(
    version: string,
    itemIds: readonly string[],
  ): Promise<Map<string, Readonly<Record<string, string>>>> {
    const out = new Map<string, Readonly<Record<string, string>>>();
    for (const id of itemIds) {
      const a = this.items.get(key(version, id));
      if (a) out.set(id, { ...a });
    }
    return out;
  }
}

function key(version: string, itemId: string): string {
  return `${requireKeyPart('version', version)}#${requireId('itemId', itemId)}`;
}
