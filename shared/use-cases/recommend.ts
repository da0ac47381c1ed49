import { randomUUID } from 'node:crypto';
import { budget, DeadlineError, untilOver } from '../domain/deadline.js';
import { DependencyError, UnauthorizedError, ValidationError } from '../domain/errors.js';
import { type Arm, assignArm, type ExperimentConfig } from '../domain/experiments/experiments.js';
import { ownValue } from '../domain/own-property.js';
import { fillFromChain } from '../domain/popularity/popularity.js';
import {
  GLOBAL_SEGMENT,
  ITEM_SEGMENT_PREFIX,
  itemSegmentKey,
  segmentChain,
} from '../domain/popularity/segments.js';
import { type BoundFilter, type UserInteractions, usesInteractions } from '../domain/filters/compile.js';
import type { StoredEvent } from '../domain/events/events.js';
import type { ItemCatalog } from '../domain/filters/item-catalog.js';
import { placePromoted, promotedSlots, seedOf } from '../domain/filters/promotions.js';
import type { FilterUse } from '../domain/filters/request.js';
import type { RecommendationRequest } from '../domain/recommend/request.js';
import type { CandidateContext, CandidateSource } from '../ports/candidates.js';
import type { EventStore } from '../ports/events.js';
import { POPULARITY_PAGE_ITEMS, type UserProfileStore } from '../ports/stores.js';
import type { ScoredItem, UserAttributes } from '../ports/types.js';
import type { NgList } from './candidate-sources.js';
import type { FilterRegistry, ItemCatalogs, ResolvedFilter } from './filters.js';
import type { PopularitySource } from './popularity-source.js';

export interface ServedItem {
  readonly itemId: string;
  readonly score: number;
  /**
   * Which step filled the item: the arm's source, `popularity:segment`, `popularity:attribute` (an item
   * attribute's list, for a filter) or `popularity:global`.
   */
  readonly source: string;
  /** The promotion that placed the item (Personalize's `promotionName`); absent for other items. */
  readonly promotionName?: string;
}

/** The API's answer (Personalize's field names where they exist). */
export interface RecommendResponse {
  readonly recommendationId: string;
  readonly userId: string;
  readonly slot: string;
  readonly experiment: string;
  readonly arm: string;
  readonly itemList: ServedItem[];
  /** True when a dependency failed and (part of) the answer came from the fallback or stale data. */
  readonly degraded: boolean;
}

/** Why an answer is as it is: for logs and metrics, not the response body. */
export interface RecommendDiagnostics {
  readonly armItems: number;
  readonly fallbackItems: number;
  readonly failures: string[];
  readonly knownUser: boolean;
}

export interface RecommendDeps {
  readonly experiments: ExperimentConfig;
  readonly sources: Readonly<Record<string, CandidateSource>>;
  readonly profiles: UserProfileStore;
  readonly popularity: PopularitySource;
  readonly ngList: NgList;
  /** Extra candidates fetched from the arm so that NG and excluded items can be removed. */
  readonly headroom?: number;
  /**
   * Total time budget of one request in ms (REQUEST_BUDGET_MS; default unlimited): a dependency that has
   * not answered by then is treated as failed, and stale or fallback data answers with degraded: true.
   */
  readonly budgetMs?: number;
  /** Named filters; without them a request naming a filter is a 400. */
  readonly filters?: Pick<FilterRegistry, 'resolve' | 'bind'>;
  /** Item attributes of the popularity version, which filters are evaluated on. */
  readonly catalogs?: Pick<ItemCatalogs, 'catalog'>;
  /** The user's recent events, for `Interactions.EVENT_TYPE` conditions. */
  readonly interactions?: Pick<EventStore, 'recentEvents'>;
}

/** Events a filter's `Interactions` conditions look at: Personalize considers a user's latest 100 too. */
export const FILTER_INTERACTIONS = 100;

/**
 * Serves one user's recommendations: assign an arm, fetch its candidates, remove NG and excluded
 * items, fill up from the popularity of the user's segment (backing off to global), never return
 * duplicates. A request filter keeps only the items it passes on every step (the fill reads the item
 * attribute lists an INCLUDE confines it to, then the global ranking); a promotion reserves its share
 * of the list for items passing its own filter, placed as Personalize places them. NG and `exclude`
 * stay absolute. A failing dependency degrades the answer instead of failing a valid request.
 */
export async function recommend(
  deps: RecommendDeps,
  req: RecommendationRequest,
  options: { adminAuthorized?: boolean } = {},
): Promise<{ response: RecommendResponse; diagnostics: RecommendDiagnostics }> {
  const slotName = req.slot ?? deps.experiments.defaultSlot;
  const slot = ownValue(deps.experiments.slots, slotName);
  if (!slot) {
    throw new ValidationError(
      `unknown slot '${slotName}'; configured: ${Object.keys(deps.experiments.slots).join(', ')}`,
      'slot',
    );
  }
  let arm: Arm;
  if (req.arm !== undefined) {
    if (!options.adminAuthorized) throw new UnauthorizedError('the arm override needs the admin token');
    const forced = slot.arms.find((a) => a.name === req.arm);
    if (!forced)
      throw new ValidationError(
        `unknown arm '${req.arm}'; arms: ${slot.arms.map((a) => a.name).join(', ')}`,
        'arm',
      );
    arm = forced;
  } else {
    arm = assignArm(slot, req.userId);
  }
  const failures: string[] = [];
  const source = ownValue(deps.sources, arm.algorithm);
  const time = budget(deps.budgetMs ?? Number.POSITIVE_INFINITY);
  const timedOut = (dependency: string) => () => new DeadlineError(dependency, deps.budgetMs ?? 0);

  // the request's filters first: an unknown one is a 400, and the Personalize arm needs the mapped ARN
  const filterUses: FilterUse[] = [...(req.filter ? [req.filter] : []), ...(req.promotions ?? [])];
  let resolved: ResolvedFilter[];
  try {
    resolved = await Promise.all(
      filterUses.map((use, k) =>
        resolveFilter(deps, use.name, k === 0 && req.filter ? 'filter' : 'promotions', time.remaining()),
      ),
    );
  } catch (err) {
    time.cancel();
    throw err;
  }
  const requestFilter = req.filter ? resolved[0] : undefined;
  const promotionFilters = req.filter ? resolved.slice(1) : resolved;
  const filtered = resolved.length > 0;
  const context: CandidateContext =
    req.filter && requestFilter?.record.personalizeFilterArn
      ? {
          personalizeFilter: {
            filterArn: requestFilter.record.personalizeFilterArn,
            filterValues: req.filter.valueStrings,
          },
        }
      : {};
  let want = req.numResults + req.exclude.length + (deps.headroom ?? 20);
  // filters drop candidates: ask for more (a precomputed list is sliced from cache, Personalize caps at 500)
  if (filtered) want = Math.min(MAX_FILTERED_CANDIDATES, want * 4);

  // independent lookups in parallel: the request path's latency is the slowest, not the sum. The NG
  // list and the popularity pointer answer stale data once the budget is spent; the arm and the profile
  // are given up once the budget is spent and those two are in (a cold process waits for them anyway)
  const ngPromise = deps.ngList.ids(time.remaining());
  const activePromise = deps.popularity.active(time.remaining());
  const over = Promise.allSettled([time.over, ngPromise, activePromise]);
  const readsEvents = resolved.some((f) => usesInteractions(f.ast));
  const [armResult, profileResult, ngResult, activeResult, eventsResult] = await Promise.allSettled([
    source
      ? untilOver(source.candidates(req.userId, want, context), over, timedOut(source.source))
      : Promise.resolve([] as ScoredItem[]),
    untilOver(deps.profiles.getProfile(req.userId), over, timedOut('profiles')),
    ngPromise,
    activePromise,
    readsEvents && deps.interactions
      ? deps.interactions.recentEvents(req.userId, FILTER_INTERACTIONS)
      : Promise.resolve([]),
  ]);
  if (ngResult.status === 'rejected') {
    time.cancel();
    // without any NG list we cannot promise that no NG item is shown
    throw new DependencyError('ng-items', String((ngResult.reason as Error)?.message ?? ngResult.reason));
  }
  if (eventsResult.status === 'rejected') {
    time.cancel();
    // without the user's events an Interactions filter cannot be obeyed
    throw new DependencyError(
      'events',
      String((eventsResult.reason as Error)?.message ?? eventsResult.reason),
    );
  }
  if (ngResult.value.stale) failures.push('ng-items');
  let candidates: ScoredItem[] = [];
  if (armResult.status === 'fulfilled') candidates = armResult.value;
  else failures.push(source?.source ?? arm.algorithm);
  let attributes: UserAttributes = req.attributes;
  let knownUser = false;
  if (profileResult.status === 'fulfilled') {
    if (profileResult.value) {
      attributes = profileResult.value;
      knownUser = true;
    }
  } else {
    failures.push('profiles');
  }
  const active = activeResult.status === 'fulfilled' ? activeResult.value : undefined;
  if (activeResult.status === 'rejected') failures.push('popularity');
  else if (active?.stale) failures.push('popularity-pointer');

  // filters bound to the catalogue of the popularity version (cached per filter and catalogue version)
  let bound: (BoundFilter | undefined)[] = [];
  if (filtered) {
    let catalog: ItemCatalog;
    try {
      catalog = await deps.catalogs!.catalog(active?.version ?? '', active?.meta.itemCatalogPages);
    } catch (err) {
      time.cancel();
      throw new DependencyError('item-catalog', (err as Error).message);
    }
    if (!active?.meta.itemCatalogPages) failures.push('item-catalog');
    try {
      bound = resolved.map((f, k) =>
        deps.filters!.bind(f, active?.version ?? '', catalog, filterUses[k].values),
      );
    } catch (err) {
      time.cancel();
      throw err;
    }
  }
  const interactions = eventsResult.value.length > 0 ? interactionsOf(eventsResult.value) : NO_INTERACTIONS;
  const passesOf = (f: BoundFilter | undefined) =>
    f ? (itemId: string) => f.passes(itemId, interactions) : () => true;

  const ng = ngResult.value.ids;
  const excluded = new Set(req.exclude);
  const blocked = (itemId: string) => ng.has(itemId) || excluded.has(itemId);
  const taken = new Set<string>();
  const label = source?.source ?? arm.algorithm;
  let armItems = 0;
  let fallbackAnswered = false;
  let popularityFailed = false;

  /** Up to `n` items passing `passes`: the arm's candidates, then popularity lists (see recommend). */
  const pick = async (
    n: number,
    passes: (itemId: string) => boolean,
    includeLists: BoundFilter['includeLists'],
    promotionName?: string,
  ): Promise<ServedItem[]> => {
    const out: ServedItem[] = [];
    const promo = promotionName !== undefined ? { promotionName } : {};
    for (const c of candidates) {
      if (out.length >= n) break;
      if (taken.has(c.itemId) || blocked(c.itemId) || !passes(c.itemId)) continue;
      taken.add(c.itemId);
      out.push({ itemId: c.itemId, score: c.score, source: label, ...promo });
    }
    armItems += out.length;
    if (out.length >= n) {
      fallbackAnswered = true;
      return out;
    }
    if (!active) return out;
    const userChain = segmentChain(attributes, active.meta.segmentColumns);
    const chain = includeLists
      ? [
          ...userChain.slice(0, -1),
          ...includeLists.map(([column, value]) => itemSegmentKey(column, value)),
          GLOBAL_SEGMENT,
        ]
      : userChain;
    const skip = (id: string) => taken.has(id) || blocked(id) || !passes(id);
    try {
      const { lists, stale } = await deps.popularity.segmentLists(active.version, chain, time.remaining());
      if (stale) failures.push('popularity');
      fallbackAnswered = true;
      for (const f of fillFromChain(chain, lists, n - out.length, skip)) {
        taken.add(f.itemId);
        out.push({ itemId: f.itemId, score: f.score, source: fillSource(f.segment), ...promo });
      }
      const firstPage = lists.get(GLOBAL_SEGMENT);
      if (out.length < n && firstPage && firstPage.length >= POPULARITY_PAGE_ITEMS) {
        await fillFromGlobalPages(
          deps.popularity,
          active.version,
          n,
          out,
          taken,
          skip,
          time.remaining,
          promo,
        );
      }
    } catch {
      popularityFailed = true;
    }
    return out;
  };

  const promoted: ServedItem[] = [];
  for (let k = 0; k < promotionFilters.length; k++) {
    const p = req.promotions![k];
    const slots = Math.min(
      promotedSlots(req.numResults, p.percentPromotedItems),
      req.numResults - promoted.length,
    );
    const f = bound[req.filter ? k + 1 : k];
    promoted.push(...(await pick(slots, passesOf(f), f?.includeLists, p.promotion)));
  }
  const requestBound = req.filter ? bound[0] : undefined;
  const main = await pick(
    req.numResults - promoted.length,
    passesOf(requestBound),
    requestBound?.includeLists,
  );
  time.cancel();
  if (popularityFailed) failures.push('popularity');
  const recommendationId = randomUUID();
  const items = promoted.length > 0 ? placePromoted(main, promoted, seedOf(recommendationId)) : main;
  // a 5xx only when nothing at all could answer; otherwise a (possibly short) degraded 200
  if (items.length === 0 && !fallbackAnswered && failures.length > 0) {
    throw new DependencyError([...new Set(failures)].join(','), 'no source could answer');
  }
  return {
    response: {
      recommendationId,
      userId: req.userId,
      slot: slotName,
      experiment: slot.experiment,
      arm: arm.name,
      itemList: items,
      degraded: failures.length > 0,
    },
    diagnostics: {
      armItems,
      fallbackItems: items.length - armItems,
      failures: [...new Set(failures)],
      knownUser,
    },
  };
}

/** Most candidates a filtered request asks its arm for. */
const MAX_FILTERED_CANDIDATES = 1000;
const NO_INTERACTIONS: UserInteractions = new Map();

/** The filter a request names; a 400 naming `parameter` when there is none (or no filters at all). */
function resolveFilter(
  deps: RecommendDeps,
  name: string,
  parameter: string,
  deadlineMs: number,
): Promise<ResolvedFilter> {
  if (!deps.filters) throw new ValidationError(`unknown filter '${name}'`, parameter);
  return deps.filters.resolve(name, parameter, deadlineMs);
}

/** What the user did to each item (lower-cased event types), from their latest events. */
function interactionsOf(events: readonly StoredEvent[]): UserInteractions {
  const out = new Map<string, Set<string>>();
  for (const e of events) {
    let types = out.get(e.itemId);
    if (!types) {
      types = new Set();
      out.set(e.itemId, types);
    }
    // the canonical type and the shop's own name (which Personalize's EVENT_TYPE holds)
    types.add(e.eventType.toLowerCase());
    types.add(e.rawEventType.toLowerCase());
  }
  return out;
}

/** The `source` label of an item filled from a popularity list. */
function fillSource(segment: string): string {
  if (segment === GLOBAL_SEGMENT) return 'popularity:global';
  return segment.startsWith(ITEM_SEGMENT_PREFIX) ? 'popularity:attribute' : 'popularity:segment';
}

/**
 * Reads the global ranking further down, page by page, until `items` holds `numResults` or the ranking
 * ends: NG and excluded items (and filters) can leave the first page short, and the promise is a full
 * answer whenever the catalogue has enough allowed items. Each page is read once per process (a
 * version never changes).
 */
async function fillFromGlobalPages(
  popularity: PopularitySource,
  version: string,
  numResults: number,
  items: ServedItem[],
  taken: Set<string>,
  skip: (itemId: string) => boolean,
  remaining: () => number,
  promo: { promotionName?: string },
): Promise<void> {
  for (let page = 1; items.length < numResults; page++) {
    const list = await popularity.listPage(version, GLOBAL_SEGMENT, page, remaining());
    if (!list) return;
    for (const { itemId, score } of list) {
      if (items.length >= numResults) return;
      if (skip(itemId)) continue;
      taken.add(itemId);
      items.push({ itemId, score, source: 'popularity:global', ...promo });
    }
    if (list.length < POPULARITY_PAGE_ITEMS) return;
  }
}
