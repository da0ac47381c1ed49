import type { FilterStore } from '../../ports/stores.js';
import type { FilterRecord } from '../../ports/types.js';
import { requireId } from '../validation.js';

/** In-memory FilterStore for unit tests and in-process benches. */
export class MemoryFilterStore implements FilterStore {
  private readonly filters = new Map<string, FilterRecord>();

  async put(filter: FilterRecord): Promise<void> {
    this.filters.set(requireId('name', filter.name), { ...filter });
  }
  async get(name: string): Promise<FilterRecord | undefined> {
    const f = this.filters.get(name);
    return f && { ...f };
  }
  async delete(name: string): Promise<boolean> {
    return this.filters.delete(name);
  }
  async list(): Promise<FilterRecord[]> {
    return [...this.filters.keys()].sort().map((name) => ({ ...this.filters.get(name)! }));
  }
}
