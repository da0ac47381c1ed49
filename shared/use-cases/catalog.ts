import {
  type CatalogKind,
  type CatalogRecord,
  type CatalogWrite,
  parseCatalogBatch,
} from '../domain/catalog/catalog.js';
import { TtlCache } from '../domain/cache.js';
import { DependencyError } from '../domain/errors.js';
import type { RecordExport } from '../ports/events.js';
import type { PipelineStateStore, UserProfileStore } from '../ports/stores.js';
import type { UserAttributes } from '../ports/types.js';

/** State record of the latest run's attribute columns (Prepare writes it; POST /users|/items validate by it). */
export const DATASET_COLUMNS_KEY = 'dataset-columns';

/** The record under {@link DATASET_COLUMNS_KEY}. */
export interface DatasetColumns {
  readonly users: string[];
  readonly items: string[];
}

/** The latest run's attribute columns, cached per process (undefined before the first run). */
export class DatasetColumnsSource {
  private readonly cache: TtlCache<'columns', DatasetColumns | undefined>;
  constructor(
    private readonly state: Pick<PipelineStateStore, 'getRecord'>,
    ttlMs: number,
  ) {
    this.cache = new TtlCache(ttlMs);
  }

  async columns(kind: CatalogKind): Promise<readonly string[] | undefined> {
    const record = await this.cache.get('columns', () =>
      this.state.getRecord<DatasetColumns>(DATASET_COLUMNS_KEY),
    );
    return record?.[kind];
  }
}

/** The users table as the POST /users path needs it: merged writes through the request path's cache. */
export interface WritableProfiles extends UserProfileStore {
  /** The stored profile (not a cached copy), which a write merges over. */
  getStoredProfile(userId: string): Promise<UserAttributes | undefined>;
}

export interface CatalogDeps {
  readonly columns: Pick<DatasetColumnsSource, 'columns'>;
  /** The users table (POST /users only): attributes take effect at once on the request path. */
  readonly profiles?: WritableProfiles;
  /** Where accepted writes go for the next night's users/items data, when configured. */
  readonly export?: RecordExport<CatalogWrite>;
  /** Personalize's PutUsers (POST /users) or PutItems (POST /items), when configured. */
  readonly forward?: (records: readonly CatalogRecord[]) => Promise<void>;
  /** Where a forwarding failure is reported (it never fails the call). */
  readonly onForwardError?: (err: unknown) => void;
}

export interface CatalogResult {
  /** Records accepted (and stored) in the call. */
  readonly received: number;
  /** Whether they were forwarded to Personalize (absent when not configured). */
  readonly forwarded?: boolean;
}

/**
 * POST /users and POST /items (Personalize PutUsers / PutItems): validates the whole batch first (any bad
 * field rejects it all, nothing is written), stores users' profiles (each write's attributes merged over
 * the stored profile, so the request path uses them at once), exports the writes for the next nightly run,
 * then forwards them to Personalize. Storing and exporting come first: their failure fails the call (503;
 * a resend writes the same values again, which is harmless); a Personalize failure is only reported.
 */
export async function putCatalog(
  kind: CatalogKind,
  deps: CatalogDeps,
  body: unknown,
  now = Date.now(),
): Promise<CatalogResult> {
  return kind === 'users' ? putUsers(deps, body, now) : putItems(deps, body, now);
}

/** POST /users: the batch validated, the profiles stored (merged), then exported and forwarded. */
export async function putUsers(deps: CatalogDeps, body: unknown, now = Date.now()): Promise<CatalogResult> {
  const records = parseCatalogBatch('users', body, { columns: await deps.columns.columns('users') });
  if (deps.profiles) {
    const profiles = deps.profiles;
    const merged = await Promise.all(
      records.map(async (r) => {
        const stored = await profiles.getStoredProfile(r.id);
        const attributes = new Map(stored ? Object.entries(stored) : []);
        for (const [column, value] of r.properties) attributes.set(column, value);
        return { userId: r.id, attributes: Object.fromEntries(attributes) as UserAttributes };
      }),
    );
    await profiles.putProfiles(merged);
  }
  return exportAndForward(deps, records, now);
}

/** POST /items: the batch validated, then exported and forwarded (items live only there). */
export async function putItems(deps: CatalogDeps, body: unknown, now = Date.now()): Promise<CatalogResult> {
  const records = parseCatalogBatch('items', body, { columns: await deps.columns.columns('items') });
  // accepting items with nowhere to go would lose them
  if (!deps.export && !deps.forward)
    throw new DependencyError(
      'items-export',
      'no export configured (EVENT_EXPORT=off, no PERSONALIZE_ITEMS_DATASET_ARN): items would be lost',
    );
  return exportAndForward(deps, records, now);
}

async function exportAndForward(
  deps: CatalogDeps,
  records: readonly CatalogRecord[],
  now: number,
): Promise<CatalogResult> {
  if (deps.export) await deps.export.export(records.map((record) => ({ record, writtenAt: now })));
  let forwarded: boolean | undefined;
  if (deps.forward) {
    try {
      await deps.forward(records);
      forwarded = true;
    } catch (err) {
      forwarded = false;
      deps.onForwardError?.(err);
    }
  }
  return { received: records.length, ...(forwarded === undefined ? {} : { forwarded }) };
}
