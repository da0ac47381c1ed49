import { randomUUID } from 'node:crypto';
import { budget, DeadlineError, untilOver, withDeadline } from '../domain/deadline.js';
import { DependencyError, UnauthorizedError, ValidationError } from '../domain/errors.js';
import {
  type Arm,
  assignArm,
  DEFAULT_REPEAT_POLICY,
  type ExperimentConfig,
  type RepeatPolicy,
} from '../domain/experiments/experiments.js';
import { ownValue } from '../domain/own-property.js';
import { fillFromChain } from '../domain/popularity/popularity.js';
import { GLOBAL_SEGMENT, itemSegmentKey, segmentChain } from '../domain/popularity/segments.js';
import type { StoredEvent } from '../domain/events/events.js';
import { type BoundFilter, type UserInteractions, usesInteractions } from '../domain/filters/compile.js';
import type { ItemCatalog } from '../domain/filters/item-catalog.js';
import { placePromoted, promotedSlots, seedOf } from '../domain/filters/promotions.js';
import type { FilterUse, PromotionUse } from '../domain/filters/request.js';
import { currentSessionItems, descendingScores } from '../domain/recommend/ordering.js';
import type { RecommendationRequest } from '../domain/recommend/request.js';
import { normalisedScores, reasonOf } from '../domain/recommend/scores.js';
import type { CandidateContext, CandidateSource } from '../ports/candidates.js';
import type { EventStore } from '../ports/events.js';
import { POPULARITY_PAGE_ITEMS, type UserProfileStore } from '../ports/stores.js';
import type { ScoredItem, UserAttributes } from '../ports/types.js';
import type { NgList } from './candidate-sources.js';
import type { FilterRegistry, ItemCatalogs, ResolvedFilter } from './filters.js';
import type { PopularityMeta, PopularitySource } from './popularity-source.js';
import { type VisitorEvents, visitorEvents } from './session-source.js';

export interface ServedItem {
  readonly itemId: string;
  /** In [0, 1]: each source's scores are scaled by that source's best (see normalisedScores). */
  readonly score: number;
  /** Which step filled the item: the arm's source, `popularity:segment` or `popularity:global`, ... */
  readonly source: string;
  /** Why it is shown (Personalize's `reason` shape: a list of strings). */
  readonly reason: string[];
  /** Item attributes asked for with `metadata=` (absent otherwise). */
  metadata?: Readonly<Record<string, string>>;
  /** The promotion that placed the item (Personalize's `promotionName`); absent for other items. */
  readonly promotionName?: string;
}

/** The API's answer (Personalize's field names where they exist). */
export interface RecommendResponse {
  readonly recommendationId: string;
  readonly userId: string;
  /** Set on the session route. */
  readonly sessionId?: string;
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

/** What every list of the request path needs: experiments, the NG list, popularity, the budget. */
export interface ServeDeps {
  readonly experiments: ExperimentConfig;
  readonly popularity: PopularitySource;
  readonly ngList: NgList;
  /**
   * The visitor's events (the session's on the session route), for the repeat policy: without it no
   * session items are known, so nothing is excluded as a repeat.
   */
  readonly recentEvents?: VisitorEvents;
  /** How many recent events define the session's items (SESSION_RECENT_EVENTS). */
  readonly recentLimit?: number;
  /** Extra candidates fetched from the arm so that NG and excluded items can be removed. */
  readonly headroom?: number;
  /**
   * Total time budget of one request in ms (REQUEST_BUDGET_MS; default unlimited): a dependency that has
   * not answered by then is treated as failed, and stale or fallback data answers with degraded: true.
   */
  readonly budgetMs?: number;
  /** Where `metadata=` reads item attributes (absent: metadata answers empty objects). */
  readonly itemAttributes?: ItemMetadataSource;
  /** Named filters; without them a request naming a filter is a 400. */
  readonly filters?: Pick<FilterRegistry, 'resolve' | 'bind'>;
  /** Item attributes of the popularity version, which filters are evaluated on. */
  readonly catalogs?: Pick<ItemCatalogs, 'catalog'>;
  /** The user's recent events, for `Interactions.EVENT_TYPE` conditions. */
  readonly interactions?: Pick<EventStore, 'recentEvents'>;
}

/** Events a filter's `Interactions` conditions look at: Personalize considers a user's latest 100 too. */
export const FILTER_INTERACTIONS = 100;
/** Most candidates a filtered request asks its arm for. */
const MAX_FILTERED_CANDIDATES = 1000;

export interface RecommendDeps extends ServeDeps {
  readonly sources: Readonly<Record<string, CandidateSource>>;
  readonly profiles: UserProfileStore;
}

/** The part of a request every list shares. */
export interface ServeRequest {
  /** Who the arm is assigned to (the user; an item surface without a user: the item). */
  readonly assignKey: string;
  readonly numResults: number;
  readonly slot?: string;
  /** QA override of the assigned arm (only honoured with the admin token). */
  readonly arm?: string;
  readonly exclude: readonly string[];
  /** Item attribute columns returned per item as `metadata` (validated names). */
  readonly metadata?: readonly string[];
  /** The user, when known: whose events `Interactions` filter conditions read. */
  readonly userId?: string;
  /** A stored filter every item of the answer passes (`filter=&filterValues=`). */
  readonly filter?: FilterUse;
  /** Shares of the list reserved for items passing other filters (`promotions=`). */
  readonly promotions?: readonly PromotionUse[];
  /** Set on the session route: the session whose events define the visitor's session items. */
  readonly sessionId?: string;
  /** The session route's client-held recent items (`items=`), counted after the stored events. */
  readonly recentItems?: readonly string[];
  /** Override of the slot's repeat policy (`repeat=`). */
  readonly repeat?: RepeatPolicy;
  /** The visitor's events when the caller already read them (the session route does, to find the user). */
  readonly visitor?: Promise<VisitorRead>;
}

/** The visitor's recent events, or none with `failed` when the events table failed. */
export interface VisitorRead {
  readonly events: readonly StoredEvent[];
  readonly failed: boolean;
}

/** Item attributes for response metadata (the active version's). */
export interface ItemMetadataSource {
  of(itemIds: readonly string[]): Promise<Map<string, Readonly<Record<string, string>>>>;
  /**
   * Per item (in order), the asked-for columns it has (columns it lacks are left out, `{}` for an unknown
   * item). The objects may be shared between answers: never mutated.
   */
  columnsOf(
    itemIds: readonly string[],
    columns: readonly string[],
  ): Promise<readonly Readonly<Record<string, string>>[]>;
}

/** What a plan gets when a request starts: the arm, how many candidates to ask for, the budget. */
export interface PlanContext {
  readonly arm: Arm;
  readonly want: number;
  /** Gives up on `promise` once the request's budget is spent (named `dependency` in the failure). */
  guard<T>(promise: Promise<T>, dependency: string): Promise<T>;
  remaining(): number;
  /** Records a failed dependency (the answer is then `degraded`). */
  fail(dependency: string): void;
  /** What the arm's source is asked with (the Personalize filter mapped from the request's filter). */
  readonly context: CandidateContext;
}

/** One labelled candidate list of a plan (its items' `source`); a rejected one counts as a failure. */
export interface CandidateList {
  readonly source: string;
  readonly items: Promise<readonly ScoredItem[]>;
}

/** One popularity list of a plan's fill chain and the `source` its items get. */
export interface ChainLink {
  readonly segment: string;
  readonly source: string;
}

/** The lookups of one request, started in parallel with the NG list and the popularity pointer. */
export interface StartedPlan {
  /** Candidate lists in order; the first is the arm's. */
  readonly lists: readonly CandidateList[];
  /** Popularity lists filling what the candidates leave (in order), for the active popularity version. */
  chain(meta: PopularityMeta): Promise<readonly ChainLink[]>;
  /** Read the global ranking further down, page by page, up to this many pages (default: to its end). */
  readonly globalPages?: number;
  /** Items never to serve on this surface, besides NG and exclude (e.g. the item a page is about). */
  readonly blocked?: (itemId: string) => boolean;
  /** Only these items may be served (personalized re-ranking of an input list). */
  readonly allowed?: ReadonlySet<string>;
  /** Items appended last (score 0, source `unranked`) unless blocked: the input items nothing ranked. */
  readonly unranked?: readonly string[];
  /** Other lookups the answer waits for with the lists (e.g. the user's profile). */
  readonly waitFor?: readonly Promise<unknown>[];
}

/** How one surface builds its list: which candidates, which fallback chain. */
export interface ListPlan {
  start(ctx: PlanContext): StartedPlan;
}

/** A served list before it is shaped into a route's response. */
export interface ServedList {
  readonly recommendationId: string;
  readonly slot: string;
  readonly experiment: string;
  readonly arm: string;
  readonly items: ServedItem[];
  readonly degraded: boolean;
  readonly armItems: number;
  readonly failures: string[];
  /** Whether NG, exclude or the plan's rules keep an item out of this list. */
  readonly isBlocked: (itemId: string) => boolean;
}

/** Picks the slot and the arm: assigned by `assignKey`, or forced (admin only) for QA. */
function resolveArm(
  experiments: ExperimentConfig,
  req: ServeRequest,
  adminAuthorized: boolean,
): { slotName: string; slot: ExperimentConfig['slots'][string]; arm: Arm } {
  const slotName = req.slot ?? experiments.defaultSlot;
  const slot = ownValue(experiments.slots, slotName);
  if (!slot) {
    throw new ValidationError(
      `unknown slot '${slotName}'; configured: ${Object.keys(experiments.slots).join(', ')}`,
      'slot',
    );
  }
  if (req.arm === undefined) return { slotName, slot, arm: assignArm(slot, req.assignKey) };
  if (!adminAuthorized) throw new UnauthorizedError('the arm override needs the admin token');
  const forced = slot.arms.find((a) => a.name === req.arm);
  if (!forced)
    throw new ValidationError(
      `unknown arm '${req.arm}'; arms: ${slot.arms.map((a) => a.name).join(', ')}`,
      'arm',
    );
  return { slotName, slot, arm: forced };
}

/**
 * The one pipeline of every surface: assign an arm, take the plan's candidate lists in order, remove NG,
 * excluded and blocked items, fill up from the plan's popularity chain (and the global ranking further
 * down), never return duplicates, scale each source's scores to [0, 1]. A failing dependency degrades
 * the answer instead of failing a valid request; without any NG list nothing is served.
 */
export async function serveList(
  deps: ServeDeps,
  req: ServeRequest,
  plan: ListPlan,
  options: { adminAuthorized?: boolean } = {},
): Promise<ServedList> {
  const { slotName, slot, arm } = resolveArm(deps.experiments, req, options.adminAuthorized === true);
  const failures: string[] = [];
  const repeat = req.repeat ?? slot.repeat ?? DEFAULT_REPEAT_POLICY;
  const time = budget(deps.budgetMs ?? Number.POSITIVE_INFINITY);

  // the request's filters first: an unknown one is a 400, and the Personalize arm needs the mapped ARN
  const uses: FilterUse[] = [...(req.filter ? [req.filter] : []), ...(req.promotions ?? [])];
  let resolved: ResolvedFilter[];
  try {
    resolved = await Promise.all(
      uses.map((use, k) =>
        resolveFilter(deps, use.name, k === 0 && req.filter ? 'filter' : 'promotions', time.remaining()),
      ),
    );
  } catch (err) {
    time.cancel();
    throw err;
  }
  const filtered = resolved.length > 0;
  const mapped = req.filter ? resolved[0].record.personalizeFilterArn : undefined;
  const context: CandidateContext = {
    repeat,
    ...(req.sessionId !== undefined ? { sessionId: req.sessionId } : {}),
    ...(req.sessionId !== undefined && req.recentItems ? { recentItems: req.recentItems } : {}),
    ...(req.filter && mapped
      ? { personalizeFilter: { filterArn: mapped, filterValues: req.filter.valueStrings } }
      : {}),
  };
  const recentLimit = deps.recentLimit ?? 0;
  let want =
    req.numResults + req.exclude.length + (deps.headroom ?? 20) + (repeat === 'exclude' ? recentLimit : 0);
  // an Interactions filter reads the user's latest events; the same read gives the session's items
  const readsEvents = resolved.some((f) => usesInteractions(f.ast));
  const eventsPromise: Promise<readonly StoredEvent[]> =
    readsEvents && deps.interactions && req.userId !== undefined
      ? deps.interactions.recentEvents(req.userId, FILTER_INTERACTIONS)
      : Promise.resolve([]);
  const sharedRead =
    readsEvents &&
    deps.interactions !== undefined &&
    deps.recentEvents !== undefined &&
    req.userId !== undefined &&
    req.sessionId === undefined &&
    recentLimit > 0 &&
    recentLimit <= FILTER_INTERACTIONS;
  // the session's items: read alongside the plan (the session arm's own read is the same cached one)
  const visitorPromise =
    req.visitor ??
    (sharedRead
      ? eventsPromise.then(
          (events) => ({ events: events.slice(0, recentLimit), failed: false }),
          () => ({ events: [], failed: true }),
        )
      : readVisitor(deps, req.userId, req.sessionId, req.recentItems));
  // filters drop candidates: ask for more (a stored list is sliced from cache, Personalize caps at 500)
  if (filtered) want = Math.min(MAX_FILTERED_CANDIDATES, want * 4);

  // independent lookups in parallel: the request path's latency is the slowest, not the sum. The NG
  // list and the popularity pointer answer stale data once the budget is spent; the plan's lookups are
  // given up once the budget is spent and those two are in (a cold process waits for them anyway)
  const ngPromise = deps.ngList.ids(time.remaining());
  const activePromise = deps.popularity.active(time.remaining());
  const over = Promise.allSettled([time.over, ngPromise, activePromise]);
  const started = plan.start({
    arm,
    want,
    guard: (promise, dependency) =>
      untilOver(promise, over, () => new DeadlineError(dependency, deps.budgetMs ?? 0)),
    remaining: time.remaining,
    fail: (dependency) => failures.push(dependency),
    context,
  });
  const [ngResult, activeResult, eventsResult, ...listResults] = await Promise.allSettled([
    ngPromise,
    activePromise,
    eventsPromise,
    ...started.lists.map((l) => l.items),
    ...(started.waitFor ?? []),
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
  const active = activeResult.status === 'fulfilled' ? activeResult.value : undefined;
  if (activeResult.status === 'rejected') failures.push('popularity');
  else if (active?.stale) failures.push('popularity-pointer');

  // filters bound to the catalogue of the popularity version (cached per filter and catalogue version)
  let bound: BoundFilter[] = [];
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
      bound = resolved.map((f, k) => deps.filters!.bind(f, active?.version ?? '', catalog, uses[k].values));
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
  const visitor = await visitorPromise;
  if (visitor.failed && !req.visitor) failures.push('events');
  const sessionItems =
    req.sessionId !== undefined
      ? new Set(visitor.events.map((e) => e.itemId))
      : currentSessionItems(visitor.events);
  const { allowed, blocked: planBlocked } = started;
  // under `exclude` no position shows a session item; under `allow` only a candidate list's own score may
  const ruleBlocked = (itemId: string) =>
    ng.has(itemId) ||
    excluded.has(itemId) ||
    (repeat === 'exclude' && sessionItems.has(itemId)) ||
    (planBlocked?.(itemId) ?? false);
  const blocked = (itemId: string) => ruleBlocked(itemId) || (allowed !== undefined && !allowed.has(itemId));
  const taken = new Set<string>();
  const candidateLists: { source: string; items: readonly ScoredItem[]; scores: Float64Array | number[] }[] =
    [];
  started.lists.forEach((list, k) => {
    const result = listResults[k];
    if (result.status === 'rejected') {
      failures.push(list.source);
      return;
    }
    const items = result.value as readonly ScoredItem[];
    candidateLists.push({ source: list.source, items, scores: normalisedScores(items) });
  });
  let armItems = 0;
  let fallbackAnswered = false;
  let popularityFailed = false;
  let chain: readonly ChainLink[] | undefined;

  /**
   * Up to `n` items passing `passes` and no rule: the plan's candidates in order, then its popularity
   * chain (with the item-attribute lists an INCLUDE confines the filter to before global), then the global
   * ranking further down.
   */
  const pick = async (
    n: number,
    passes: (itemId: string) => boolean,
    includeLists: BoundFilter['includeLists'],
    promotionName?: string,
  ): Promise<ServedItem[]> => {
    const out: ServedItem[] = [];
    const push = (itemId: string, score: number, source: string) => {
      taken.add(itemId);
      out.push(
        promotionName !== undefined
          ? { itemId, score, source, reason: reasonOf(source), promotionName }
          : { itemId, score, source, reason: reasonOf(source) },
      );
    };
    const skip = (id: string) => taken.has(id) || blocked(id) || !passes(id);
    for (const list of candidateLists) {
      for (let j = 0; j < list.items.length && out.length < n; j++) {
        const { itemId } = list.items[j];
        if (!skip(itemId)) push(itemId, list.scores[j], list.source);
      }
    }
    armItems += out.length;
    if (out.length >= n) {
      fallbackAnswered = true;
      return out;
    }
    if (!active) return out;
    try {
      chain ??= await started.chain(active.meta);
      const links = withIncludeLists(chain, includeLists);
      const segments = links.map((c) => c.segment);
      const sourceOf = new Map(links.map((c) => [c.segment, c.source]));
      const { lists, stale } = await deps.popularity.segmentLists(active.version, segments, time.remaining());
      if (stale) failures.push('popularity');
      fallbackAnswered = true;
      // the fill never puts back what the visitor just looked at, whatever the policy
      const fillSkip = (id: string) => skip(id) || sessionItems.has(id);
      for (const f of fillFromChain(segments, lists, n - out.length, fillSkip))
        push(f.itemId, f.score, sourceOf.get(f.segment) ?? 'popularity:global');
      const firstPage = lists.get(GLOBAL_SEGMENT);
      const maxPages = started.globalPages ?? Number.POSITIVE_INFINITY;
      if (
        out.length < n &&
        sourceOf.has(GLOBAL_SEGMENT) &&
        maxPages > 0 &&
        firstPage &&
        firstPage.length >= POPULARITY_PAGE_ITEMS
      ) {
        for (let page = 1; out.length < n && page <= maxPages; page++) {
          const list = await deps.popularity.listPage(active.version, GLOBAL_SEGMENT, page, time.remaining());
          if (!list) break;
          for (const { itemId, score } of list) {
            if (out.length >= n) break;
            if (!fillSkip(itemId)) push(itemId, score, 'popularity:global');
          }
          if (list.length < POPULARITY_PAGE_ITEMS) break;
        }
      }
    } catch {
      popularityFailed = true;
    }
    return out;
  };

  const promoted: ServedItem[] = [];
  const promotions = req.promotions ?? [];
  for (let k = 0; k < promotions.length; k++) {
    const p = promotions[k];
    const slots = Math.min(
      promotedSlots(req.numResults, p.percentPromotedItems),
      req.numResults - promoted.length,
    );
    const f = bound[req.filter ? k + 1 : k];
    promoted.push(...(await pick(slots, passesOf(f), f?.includeLists, p.promotion)));
  }
  const requestFilter = req.filter ? bound[0] : undefined;
  const passesRequest = passesOf(requestFilter);
  // with an allowed set, the list is full once every allowed item is placed (no reading further for NG ones)
  let limit = req.numResults;
  if (allowed !== undefined) {
    let open = 0;
    for (const id of allowed) if (!ruleBlocked(id) && passesRequest(id)) open++;
    limit = Math.min(limit, open);
  }
  const main = await pick(Math.max(0, limit - promoted.length), passesRequest, requestFilter?.includeLists);
  for (const itemId of started.unranked ?? []) {
    if (main.length + promoted.length >= limit) break;
    if (taken.has(itemId) || ruleBlocked(itemId) || !passesRequest(itemId)) continue;
    taken.add(itemId);
    main.push({ itemId, score: 0, source: 'unranked', reason: reasonOf('unranked') });
  }
  if (popularityFailed) failures.push('popularity');
  const recommendationId = randomUUID();
  // each source is scaled to [0, 1] on its own: one non-increasing list, order kept
  const items = descendingScores(
    promoted.length > 0 ? placePromoted(main, promoted, seedOf(recommendationId)) : main,
  );
  if (req.metadata && req.metadata.length > 0 && items.length > 0 && deps.itemAttributes) {
    try {
      const found = await withDeadline(
        deps.itemAttributes.columnsOf(
          items.map((i) => i.itemId),
          req.metadata,
        ),
        time.remaining(),
        'item-attributes',
      );
      for (let k = 0; k < items.length; k++) items[k].metadata = found[k];
    } catch {
      failures.push('item-attributes');
    }
  }
  time.cancel();
  // a 5xx only when nothing at all could answer; otherwise a (possibly short) degraded 200
  if (items.length === 0 && !fallbackAnswered && failures.length > 0) {
    throw new DependencyError([...new Set(failures)].join(','), 'no source could answer');
  }
  return {
    recommendationId,
    slot: slotName,
    experiment: slot.experiment,
    arm: arm.name,
    items,
    degraded: failures.length > 0,
    armItems,
    failures: [...new Set(failures)],
    isBlocked: ruleBlocked,
  };
}

const NO_INTERACTIONS: UserInteractions = new Map();

/**
 * The visitor's recent events (the session's on the session route), or none with `failed` when the
 * events table fails: the list is then served without knowing the session's items.
 */
function readVisitor(
  deps: ServeDeps,
  userId: string | undefined,
  sessionId: string | undefined,
  recentItems?: readonly string[],
): Promise<VisitorRead> {
  const limit = deps.recentLimit ?? 0;
  if (!deps.recentEvents || limit <= 0 || (userId === undefined && sessionId === undefined))
    return Promise.resolve({ events: [], failed: false });
  const context =
    sessionId !== undefined ? { sessionId, ...(recentItems ? { recentItems } : {}) } : undefined;
  return visitorEvents(deps.recentEvents, userId ?? sessionId ?? '', limit, context).then(
    (events) => ({ events, failed: false }),
    () => ({ events: [], failed: true }),
  );
}

/** The filter a request names; a 400 naming `parameter` when there is none (or no filters at all). */
function resolveFilter(
  deps: ServeDeps,
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

/** The plan's chain with the item-attribute lists a filter's INCLUDE confines it to, before global. */
function withIncludeLists(
  chain: readonly ChainLink[],
  includeLists: BoundFilter['includeLists'],
): readonly ChainLink[] {
  if (!includeLists || includeLists.length === 0) return chain;
  const extra = includeLists
    .map(([column, value]) => ({ segment: itemSegmentKey(column, value), source: 'popularity:attribute' }))
    .filter((l) => !chain.some((c) => c.segment === l.segment));
  const global = chain.findIndex((c) => c.segment === GLOBAL_SEGMENT);
  return global < 0 ? [...chain, ...extra] : [...chain.slice(0, global), ...extra, ...chain.slice(global)];
}

/** The popularity chain of a user's attributes: their segments (most specific first), then global. */
export function userChain(attributes: UserAttributes, meta: PopularityMeta): ChainLink[] {
  return segmentChain(attributes, meta.segmentColumns).map((segment) => ({
    segment,
    source: segment === GLOBAL_SEGMENT ? 'popularity:global' : 'popularity:segment',
  }));
}

/**
 * Serves one user's recommendations: assign an arm, fetch its candidates, remove NG and excluded
 * items, fill up from the popularity of the user's segment (backing off to global), never return
 * duplicates. A failing dependency degrades the answer instead of failing a valid request.
 */
export async function recommend(
  deps: RecommendDeps,
  req: RecommendationRequest,
  options: { adminAuthorized?: boolean } = {},
): Promise<{ response: RecommendResponse; diagnostics: RecommendDiagnostics }> {
  let knownUser = false;
  // the session route serves the user the session belongs to once it carries a userId
  const sessionRead =
    req.sessionId !== undefined
      ? await readVisitor(deps, req.userId, req.sessionId, req.recentItems)
      : undefined;
  const owner = sessionRead?.events.find((e) => e.userId !== undefined)?.userId;
  const userId = owner ?? req.userId;
  const failedEvents = sessionRead?.failed === true;
  // a session no userId has claimed (as far as its events tell) has no profile nor per-user lists
  const anonymous = sessionRead !== undefined && !failedEvents && owner === undefined;
  const served = await serveList(
    deps,
    {
      ...req,
      assignKey: userId,
      userId,
      ...(sessionRead ? { visitor: Promise.resolve(sessionRead) } : {}),
    },
    {
      start(ctx) {
        if (failedEvents) ctx.fail('events');
        const source = ownValue(deps.sources, ctx.arm.algorithm);
        let attributes: UserAttributes = req.attributes;
        const profile = anonymous
          ? Promise.resolve()
          : ctx.guard(deps.profiles.getProfile(userId), 'profiles').then(
              (stored) => {
                if (stored) {
                  attributes = stored;
                  knownUser = true;
                }
              },
              () => ctx.fail('profiles'),
            );
        const context = anonymous ? { ...ctx.context, anonymous } : ctx.context;
        return {
          waitFor: [profile],
          lists: [
            {
              source: source?.source ?? ctx.arm.algorithm,
              items: source
                ? ctx.guard(source.candidates(userId, ctx.want, context), source.source)
                : Promise.resolve([]),
            },
          ],
          chain: async (meta) => userChain(attributes, meta),
        };
      },
    },
    options,
  );
  return {
    response: {
      recommendationId: served.recommendationId,
      userId,
      ...(req.sessionId !== undefined ? { sessionId: req.sessionId } : {}),
      slot: served.slot,
      experiment: served.experiment,
      arm: served.arm,
      itemList: served.items,
      degraded: served.degraded,
    },
    diagnostics: {
      armItems: served.armItems,
      fallbackItems: served.items.length - served.armItems,
      failures: served.failures,
      knownUser,
    },
  };
}
