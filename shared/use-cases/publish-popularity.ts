import type { Dataset } from '../domain/data/dataset.js';
import { computePopularityLists, type PopularityOptions } from '../domain/popularity/popularity.js';
import { setOwn } from '../domain/own-property.js';
import { catalogPages } from '../domain/filters/item-catalog.js';
import type {
  ItemCatalogStore,
  PipelineStateStore,
  PopularityStore,
  UserProfileStore,
} from '../ports/stores.js';
import type { UserAttributes } from '../ports/types.js';
import { POPULARITY, type PopularityMeta, popularityMetaKey } from './popularity-source.js';

export interface PublishPopularityDeps {
  readonly popularity: PopularityStore;
  readonly profiles: UserProfileStore;
  readonly state: PipelineStateStore;
  /** Where the item attributes go for filters on the request path (optional in tests that need none). */
  readonly itemCatalog?: ItemCatalogStore;
}

export interface PublishResult {
  readonly version: string;
  readonly lists: number;
  readonly profiles: number;
  readonly previousVersion?: string;
}

/** A sortable, unique version id: UTC time plus a random suffix. */
export function newVersionId(now = new Date()): string {
  const t = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${t}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Users' attributes (first value of each column) as profiles for the request path. */
export function userProfiles(dataset: Dataset): { userId: string; attributes: UserAttributes }[] {
  const out: { userId: string; attributes: UserAttributes }[] = [];
  for (let u = 0; u < dataset.users.size; u++) {
    const attributes: Record<string, string> = {};
    for (const col of dataset.userAttributes) {
      const s = col.offsets[u];
      if (s < col.offsets[u + 1]) setOwn(attributes, col.name, col.dict.ids[col.values[s]]);
    }
    if (Object.keys(attributes).length > 0) out.push({ userId: dataset.users.ids[u], attributes });
  }
  return out;
}

/**
 * Computes global, segment and item-attribute popularity, writes it under a new version together
 * with user profiles, and only then flips the active pointer (conditional write): readers never see
 * a half-written version.
 */
export async function publishPopularity(
  deps: PublishPopularityDeps,
  dataset: Dataset,
  options: PopularityOptions = {},
): Promise<PublishResult> {
  const segmentColumns =
    options.segmentColumns && options.segmentColumns.length > 0
      ? options.segmentColumns
      : dataset.userAttributes.map((c) => c.name);
  const lists = computePopularityLists(dataset, { ...options, segmentColumns });
  const version = newVersionId();
  const profiles = userProfiles(dataset);
  await deps.profiles.putProfiles(profiles);
  await deps.popularity.putSegmentLists(version, lists);
  const itemCatalogPages = await publishItemCatalog(deps.itemCatalog, version, dataset);
  const meta: PopularityMeta = {
    segmentColumns,
    lists: lists.length,
    createdAt: Date.now(),
    itemCatalogPages,
  };
  await deps.state.putRecord(popularityMetaKey(version), meta);
  const previous = await deps.state.getActiveVersion(POPULARITY);
  await deps.state.setActiveVersion(POPULARITY, version, previous?.version);
  return { version, lists: lists.length, profiles: profiles.length, previousVersion: previous?.version };
}

/**
 * Writes the dataset's item attributes under a popularity version (filters read them on the request
 * path); returns the number of pages, undefined when there is no store.
 */
export async function publishItemCatalog(
  store: ItemCatalogStore | undefined,
  version: string,
  dataset: Dataset,
): Promise<number | undefined> {
  if (!store) return undefined;
  const pages = catalogPages({ ids: dataset.items.ids, columns: dataset.itemAttributes });
  await store.putCatalog(version, pages);
  return pages.length;
}
