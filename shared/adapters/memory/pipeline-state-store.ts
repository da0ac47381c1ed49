import { ConflictError } from '../../domain/errors.js';
import type { PipelineStateStore } from '../../ports/stores.js';
import type { VersionPointer } from '../../ports/types.js';
import { requireId, requireKeyPart, serialiseRecord } from '../validation.js';

/**
 * In-memory PipelineStateStore for unit tests. Records are kept as JSON text, as in DynamoDB, so
 * values come back as fresh copies with JSON semantics (e.g. Dates become strings).
 */
export class MemoryPipelineStateStore implements PipelineStateStore {
  private readonly pointers = new Map<string, VersionPointer>();
  private readonly records = new Map<string, string>();

  constructor(private readonly options: { readonly now?: () => number } = {}) {}

  async getActiveVersion(algorithm: string): Promise<VersionPointer | undefined> {
    const pointer = this.pointers.get(requireKeyPart('algorithm', algorithm));
    return pointer ? { ...pointer } : undefined;
  }

  async setActiveVersion(
    algorithm: string,
    version: string,
    expected: string | undefined,
  ): Promise<VersionPointer> {
    requireKeyPart('algorithm', algorithm);
    requireKeyPart('version', version);
    const current = this.pointers.get(algorithm);
    if (current?.version !== expected) {
      throw new ConflictError(
        `active version of ${algorithm} is no longer ${expected ?? '(none)'}; another writer moved it`,
      );
    }
    const pointer = { algorithm, version, updatedAt: this.options.now?.() ?? Date.now() };
    this.pointers.set(algorithm, pointer);
    return { ...pointer };
  }

  async putRecord(key: string, value: unknown): Promise<void> {
    this.records.set(key, serialiseRecord(key, value));
  }

  async getRecord<T = unknown>(key: string): Promise<T | undefined> {
    const json = this.records.get(requireId('key', key));
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }
}
