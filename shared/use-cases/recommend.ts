import { randomUUID } from 'node:crypto';
import { budget, DeadlineError, untilOver, withDeadline } from '../domain/deadline.js';
import { DependencyError, UnauthorizedError, ValidationError } from '../domain/errors.js';
import { type Arm, assignArm, type ExperimentConfig } from '../domain/experiments/experiments.js';
import { ownValue, setOwn } from '../domain/own-property.js';
import { fillFromChain } from '../domain/popularity/popularity.js';
import { GLOBAL_SEGMENT, segmentChain } from '../domain/popularity/segments.js';
import type { RecommendationRequest } from '../domain/recommend/request.js';
import { normalisedScores, reasonOf } from '../domain/recommend/scores.js';
import type { CandidateSource } from '../ports/candidates.js';
import { POPULARITY_PAGE_ITEMS, type UserProfileStore } from '../ports/stores.js';
import type { ScoredItem, UserAttributes } from '../ports/types.js';
import type { NgList } from './candidate-sources.js';
import type { PopularityMeta, PopularitySource } from './popularity-source.js';

export interface ServedItem {
  readonly itemId: string;
  /** In [0, 1]: each source's scores are scaled by that source's best (see normalisedScores). */
  readonly score: number;
  /** Which step filled the item: the arm's source, `popularity:segment` or `popularity:global`, ... */
  readonly source: string;
  /** Why it is shown (Personalize's `reason` shape: a list of strings). */
  readonly reason: string[];
  /** Item attributes asked for with `metadata=` (absent otherwise). */
  metadata?: Record<string, string>;
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

/** What every list of the request path needs: experiments, the NG list, popularity, the budget. */
export interface ServeDeps {
  readonly experiments: ExperimentConfig;
  readonly popularity: PopularitySource;
  readonly ngList: NgList;
  /** Extra candidates fetched from the arm so that NG and excluded items can be removed. */
  readonly headroom?: number;
  /**
   * Total time budget of one request in ms (REQUEST_BUDGET_MS; default unlimited): a dependency that has
   * not answered by then is treated as failed, and stale or fallback data answers with degraded: true.
   */
  readonly budgetMs?: number;
  /** Where `metadata=` reads item attributes (absent: metadata answers empty objects). */
  readonly itemAttributes?: ItemMetadataSource;
}

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
}

/** Item attributes for response metadata (the active version's). */
export interface ItemMetadataSource {
  of(itemIds: readonly string[]): Promise<Map<string, Readonly<Record<string, string>>>>;
}

/** The asked-for columns of an item's attributes (columns it lacks are left out). */
function metadataOf(
  attributes: Readonly<Record<string, string>> | undefined,
  columns: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of columns) {
    const v = attributes ? ownValue(attributes, c) : undefined;
    if (v !== undefined) setOwn(out, c, v);
  }
  return out;
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
  const want = req.numResults + req.exclude.length + (deps.headroom ?? 20);

  // independent lookups in parallel: the request path's latency is the slowest, not the sum. The NG
  // list and the popularity pointer answer stale data once the budget is spent; the plan's lookups are
  // given up once the budget is spent and those two are in (a cold process waits for them anyway)
  const time = budget(deps.budgetMs ?? Number.POSITIVE_INFINITY);
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
  });
  const [ngResult, activeResult, ...listResults] = await Promise.allSettled([
    ngPromise,
    activePromise,
    ...started.lists.map((l) => l.items),
    ...(started.waitFor ?? []),
  ]);
  if (ngResult.status === 'rejected') {
    // without any NG list we cannot promise that no NG item is shown
    throw new DependencyError('ng-items', String((ngResult.reason as Error)?.message ?? ngResult.reason));
  }
  if (ngResult.value.stale) failures.push('ng-items');
  const ng = ngResult.value.ids;
  const excluded = new Set(req.exclude);
  const { allowed, blocked: planBlocked } = started;
  const ruleBlocked = (itemId: string) =>
    ng.has(itemId) || excluded.has(itemId) || (planBlocked?.(itemId) ?? false);
  const blocked = (itemId: string) => ruleBlocked(itemId) || (allowed !== undefined && !allowed.has(itemId));
  // with an allowed set, the list is full once every allowed item is placed (no reading further for NG ones)
  let limit = req.numResults;
  if (allowed !== undefined) {
    let open = 0;
    for (const id of allowed) if (!ruleBlocked(id)) open++;
    limit = Math.min(limit, open);
  }
  const items: ServedItem[] = [];
  const taken = new Set<string>();
  const push = (itemId: string, score: number, source: string) => {
    taken.add(itemId);
    items.push({ itemId, score, source, reason: reasonOf(source) });
  };
  started.lists.forEach((list, k) => {
    const result = listResults[k];
    if (result.status === 'rejected') {
      failures.push(list.source);
      return;
    }
    const candidates = result.value as readonly ScoredItem[];
    const scores = normalisedScores(candidates);
    for (let j = 0; j < candidates.length && items.length < limit; j++) {
      const { itemId } = candidates[j];
      if (taken.has(itemId) || blocked(itemId)) continue;
      push(itemId, scores[j], list.source);
    }
  });
  const armItems = items.length;
  let fallbackAnswered = items.length >= limit;

  if (items.length < limit) {
    if (activeResult.status === 'rejected') {
      failures.push('popularity');
    } else if (activeResult.value) {
      const active = activeResult.value;
      if (active.stale) failures.push('popularity-pointer');
      try {
        const chain = await started.chain(active.meta);
        const segments = chain.map((c) => c.segment);
        const sourceOf = new Map(chain.map((c) => [c.segment, c.source]));
        const { lists, stale } = await deps.popularity.segmentLists(
          active.version,
          segments,
          time.remaining(),
        );
        if (stale) failures.push('popularity');
        const fill = fillFromChain(
          segments,
          lists,
          limit - items.length,
          (id) => taken.has(id) || blocked(id),
        );
        fallbackAnswered = true;
        for (const f of fill) push(f.itemId, f.score, sourceOf.get(f.segment) ?? 'popularity:global');
        const firstPage = lists.get(GLOBAL_SEGMENT);
        const maxPages = started.globalPages ?? Number.POSITIVE_INFINITY;
        if (
          items.length < limit &&
          sourceOf.has(GLOBAL_SEGMENT) &&
          maxPages > 0 &&
          firstPage &&
          firstPage.length >= POPULARITY_PAGE_ITEMS
        ) {
          for (let page = 1; items.length < limit && page <= maxPages; page++) {
            const list = await deps.popularity.listPage(
              active.version,
              GLOBAL_SEGMENT,
              page,
              time.remaining(),
            );
            if (!list) break;
            for (const { itemId, score } of list) {
              if (items.length >= limit) break;
              if (taken.has(itemId) || blocked(itemId)) continue;
              push(itemId, score, 'popularity:global');
            }
            if (list.length < POPULARITY_PAGE_ITEMS) break;
          }
        }
      } catch {
        failures.push('popularity');
      }
    }
  }
  for (const itemId of started.unranked ?? []) {
    if (items.length >= limit) break;
    if (taken.has(itemId) || ruleBlocked(itemId)) continue;
    push(itemId, 0, 'unranked');
  }
  if (req.metadata && req.metadata.length > 0 && items.length > 0 && deps.itemAttributes) {
    try {
      const found = await withDeadline(
        deps.itemAttributes.of(items.map((i) => i.itemId)),
        time.remaining(),
        'item-attributes',
      );
      for (const item of items) item.metadata = metadataOf(found.get(item.itemId), req.metadata);
    } catch {
      failures.push('item-attributes');
    }
  }
  time.cancel();
  // a 5xx only when nothing at all could answer; otherwise a (possibly short) degraded 200
  if (items.length === 0 && !fallbackAnswered && failures.length > 0) {
    throw new DependencyError(failures.join(','), 'no source could answer');
  }
  return {
    recommendationId: randomUUID(),
    slot: slotName,
    experiment: slot.experiment,
    arm: arm.name,
    items,
    degraded: failures.length > 0,
    armItems,
    failures,
    isBlocked: ruleBlocked,
  };
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
  const served = await serveList(
    deps,
    { ...req, assignKey: req.userId },
    {
      start(ctx) {
        const source = ownValue(deps.sources, ctx.arm.algorithm);
        let attributes: UserAttributes = req.attributes;
        const profile = ctx.guard(deps.profiles.getProfile(req.userId), 'profiles').then(
          (stored) => {
            if (stored) {
              attributes = stored;
              knownUser = true;
            }
          },
          () => ctx.fail('profiles'),
        );
        return {
          waitFor: [profile],
          lists: [
            {
              source: source?.source ?? ctx.arm.algorithm,
              items: source
                ? ctx.guard(source.candidates(req.userId, ctx.want), source.source)
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
      userId: req.userId,
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
