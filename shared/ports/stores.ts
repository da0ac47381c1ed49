import type { ItemCatalogPage } from '../domain/filters/item-catalog.js';
import type {
  FilterRecord,
  NgItem,
  Page,
  ScoredItem,
  SegmentList,
  UserAttributes,
  UserRecommendations,
  VersionPointer,
} from './types.js';

/**
 * Precomputed per-user lists, written by the nightly pipeline under a new version and read by the
 * request path through the active version pointer (so a half-written version is never served).
 */
export interface RecommendationStore {
  /** Writes many users' lists for (algorithm, version); batched, retries unprocessed items. */
  putUserLists(algorithm: string, version: string, lists: readonly UserRecommendations[]): Promise<void>;
  /** A user's list for (algorithm, version), or undefined. */
  getUserList(algorithm: string, version: string, userId: string): Promise<ScoredItem[] | undefined>;
}

/**
 * Items per stored page of a popularity list. A list longer than this (the global ranking holds the
 * whole catalogue) is stored as pages, so the request path can read further down when NG and excluded
 * items leave a page short.
 */
export const POPULARITY_PAGE_ITEMS = 500;

/** Popularity rankings per segment (global, user-attribute segments, item categories). */
export interface PopularityStore {
  /** Writes the lists of a version; a list longer than POPULARITY_PAGE_ITEMS is stored as pages. */
  putSegmentLists(version: string, lists: readonly SegmentList[]): Promise<void>;
  /** The first page of each given segment's list (missing keys are absent from the result map). */
  getSegmentLists(version: string, segments: readonly string[]): Promise<Map<string, ScoredItem[]>>;
  /** Page `page` (>= 1; page 1 holds items 500..999) of a segment's list; undefined past its end. */
  getListPage(version: string, segment: string, page: number): Promise<ScoredItem[] | undefined>;
}

/** Known users' attributes (from users.csv), used to pick the popularity segment. */
export interface UserProfileStore {
  putProfiles(profiles: readonly { userId: string; attributes: UserAttributes }[]): Promise<void>;
  getProfile(userId: string): Promise<UserAttributes | undefined>;
}

/** The NG list: items never to be shown (banned, out of stock, excluded). */
export interface NgItemStore {
  put(item: NgItem): Promise<void>;
  /** Returns true when the item existed. */
  delete(itemId: string): Promise<boolean>;
  list(limit: number, cursor?: string): Promise<Page<NgItem>>;
  /** Every NG item id (the request path caches this). */
  allIds(): Promise<Set<string>>;
}

/** Pipeline state: active version pointers (flipped with a conditional write) and small JSON records. */
export interface PipelineStateStore {
  getActiveVersion(algorithm: string): Promise<VersionPointer | undefined>;
  /**
   * Points `algorithm` at `version` only if the current pointer is still `expected` (undefined = none yet).
   * Throws ConflictError when another writer moved it first.
   */
  setActiveVersion(algorithm: string, version: string, expected: string | undefined): Promise<VersionPointer>;
  putRecord(key: string, value: unknown): Promise<void>;
  getRecord<T = unknown>(key: string): Promise<T | undefined>;
}

/** Named filters (PUT /filters/{name}), read by the request path through a TTL cache. */
export interface FilterStore {
  put(filter: FilterRecord): Promise<void>;
  get(name: string): Promise<FilterRecord | undefined>;
  /** Returns true when the filter existed. */
  delete(name: string): Promise<boolean>;
  /** Every filter, in name order (a shop has a handful: Personalize allows 10 per dataset group). */
  list(): Promise<FilterRecord[]>;
}

/**
 * Item attributes of a popularity version (written with its lists, read whole by the request path to
 * evaluate filters), stored as pages.
 */
export interface ItemCatalogStore {
  putCatalog(version: string, pages: readonly ItemCatalogPage[]): Promise<void>;
  /** The version's pages in order; pages that are missing are left out. */
  getCatalog(version: string, pages: number): Promise<ItemCatalogPage[]>;
}
