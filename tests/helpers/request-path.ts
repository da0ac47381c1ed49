import { MemoryEventStore } from '../../shared/adapters/memory/event-store.js';
import { MemoryFilterStore } from '../../shared/adapters/memory/filter-store.js';
import { MemoryItemCatalogStore } from '../../shared/adapters/memory/item-catalog-store.js';
import { MemoryNgItemStore } from '../../shared/adapters/memory/ng-item-store.js';
import { MemoryPipelineStateStore } from '../../shared/adapters/memory/pipeline-state-store.js';
import { MemoryPopularityStore } from '../../shared/adapters/memory/popularity-store.js';
import { MemoryRecommendationStore } from '../../shared/adapters/memory/recommendation-store.js';
import { MemoryUserProfileStore } from '../../shared/adapters/memory/user-profile-store.js';
import type { StoredEvent } from '../../shared/domain/events/events.js';
import { DEFAULT_EXPERIMENTS, type ExperimentConfig } from '../../shared/domain/experiments/experiments.js';
import type { CandidateSource } from '../../shared/ports/candidates.js';
import type { ItemCatalogPage } from '../../shared/domain/filters/item-catalog.js';
import type { FilterRecord, ScoredItem, SegmentList } from '../../shared/ports/types.js';
import { NgList, PrecomputedSource, VersionPointers } from '../../shared/use-cases/candidate-sources.js';
import { FilterRegistry, ItemCatalogs } from '../../shared/use-cases/filters.js';
import { POPULARITY, PopularitySource, popularityMetaKey } from '../../shared/use-cases/popularity-source.js';
import type { RecommendDeps } from '../../shared/use-cases/recommend.js';

/** Request-path dependencies on in-memory adapters, seeded with published popularity. */
export async function memoryDeps(options: {
  segmentLists: SegmentList[];
  segmentColumns?: string[];
  userLists?: Record<string, Record<string, ScoredItem[]>>;
  profiles?: Record<string, Record<string, string>>;
  ng?: string[];
  experiments?: ExperimentConfig;
  sources?: Record<string, CandidateSource>;
  pointerTtlMs?: number;
  ngTtlMs?: number;
  /**
   * Stored filters, the item catalogue of the popularity version, and stored events (for filters'
   * Interactions conditions and the visitors' sessions the repeat policy sees).
   */
  filters?: FilterRecord[];
  catalog?: ItemCatalogPage[];
  events?: StoredEvent[];
}) {
  const state = new MemoryPipelineStateStore();
  const popularityStore = new MemoryPopularityStore();
  const recommendations = new MemoryRecommendationStore();
  const profiles = new MemoryUserProfileStore();
  const ngItems = new MemoryNgItemStore();
  await popularityStore.putSegmentLists('p1', options.segmentLists);
  const itemCatalog = new MemoryItemCatalogStore();
  if (options.catalog) await itemCatalog.putCatalog('p1', options.catalog);
  await state.putRecord(popularityMetaKey('p1'), {
    segmentColumns: options.segmentColumns ?? [],
    lists: options.segmentLists.length,
    createdAt: 0,
    ...(options.catalog ? { itemCatalogPages: options.catalog.length } : {}),
  });
  await state.setActiveVersion(POPULARITY, 'p1', undefined);
  const filterStore = new MemoryFilterStore();
  for (const f of options.filters ?? []) await filterStore.put(f);
  const events = new MemoryEventStore();
  await events.putEvents(options.events ?? []);
  for (const [algorithm, lists] of Object.entries(options.userLists ?? {})) {
    await recommendations.putUserLists(
      algorithm,
      'v1',
      Object.entries(lists).map(([userId, items]) => ({ userId, items })),
    );
    await state.setActiveVersion(algorithm, 'v1', undefined);
  }
  await profiles.putProfiles(
    Object.entries(options.profiles ?? {}).map(([userId, attributes]) => ({ userId, attributes })),
  );
  for (const id of options.ng ?? []) await ngItems.put({ itemId: id, createdAt: 0 });
  const pointers = new VersionPointers(state, options.pointerTtlMs ?? 60_000);
  const deps: RecommendDeps = {
    experiments: options.experiments ?? DEFAULT_EXPERIMENTS,
    sources: options.sources ?? {
      cf: new PrecomputedSource('cf', 'cf', pointers, recommendations),
      fm: new PrecomputedSource('fm', 'fm', pointers, recommendations),
      session: new PrecomputedSource('session', 'session', pointers, recommendations),
      personalize: new PrecomputedSource('personalize-standin:session', 'session', pointers, recommendations),
    },
    profiles,
    popularity: new PopularitySource(state, popularityStore, 60_000),
    ngList: new NgList(ngItems, options.ngTtlMs ?? 60_000),
    filters: new FilterRegistry(filterStore, 60_000),
    catalogs: new ItemCatalogs(itemCatalog),
    interactions: events,
    recentEvents: events,
    recentLimit: 10,
  };
  return { deps, state, popularityStore, recommendations, profiles, ngItems, filterStore, events };
}

export const items = (prefix: string, n: number, top = 1): ScoredItem[] =>
  Array.from({ length: n }, (_, i) => ({ itemId: `${prefix}${i}`, score: top - i / (n + 1) }));

/** A single-arm experiment config for the given algorithm. */
export const singleArm = (
  algorithm: 'cf' | 'fm' | 'personalize' | 'session' | 'popularity',
): ExperimentConfig => ({
  defaultSlot: 'home',
  slots: { home: { experiment: 'e', salt: 's', arms: [{ name: algorithm, algorithm, weight: 1 }] } },
});

/** A view event of a visitor's session (userId absent = an anonymous visitor). */
export const viewed = (
  itemId: string,
  at: number,
  visitor: { userId?: string; sessionId: string },
): StoredEvent => ({
  eventId: `${visitor.sessionId}-${itemId}-${at}`,
  ...visitor,
  eventType: 'view',
  rawEventType: 'view',
  itemId,
  sentAt: at,
});
