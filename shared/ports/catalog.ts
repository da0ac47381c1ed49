import type { CatalogKind, CatalogRecord } from '../domain/catalog/catalog.js';

/** Forwards live users/items writes to a real-time learner (Amazon Personalize PutUsers / PutItems). */
export interface CatalogForwarder {
  forward(kind: CatalogKind, records: readonly CatalogRecord[]): Promise<void>;
}
