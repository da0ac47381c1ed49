import type { ItemCatalogPage } from '../../domain/filters/item-catalog.js';
import type { ItemCatalogStore } from '../../ports/stores.js';

/** In-memory ItemCatalogStore for unit tests and in-process benches (pages copied through JSON, as stored). */
export class MemoryItemCatalogStore implements ItemCatalogStore {
  private readonly pages = new Map<string, string[]>();

  async putCatalog(version: string, pages: readonly ItemCatalogPage[]): Promise<void> {
    this.pages.set(
      version,
      pages.map((p) => JSON.stringify(p)),
    );
  }
  async getCatalog(version: string, pages: number): Promise<ItemCatalogPage[]> {
    return (this.pages.get(version) ?? []).slice(0, pages).map((p) => JSON.parse(p) as ItemCatalogPage);
  }
}
