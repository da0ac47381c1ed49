import { randomUUID } from 'node:crypto';
import { budget, DeadlineError, untilOver } from '../domain/deadline.js';
import { DependencyError, UnauthorizedError, ValidationError } from '../domain/errors.js';
import type { StoredEvent } from '../domain/events/events.js';
import {
  type Arm,
  assignArm,
  DEFAULT_REPEAT_POLICY,
  type ExperimentConfig,
} from '../domain/experiments/experiments.js';
import { ownValue } from '../domain/own-property.js';
import { fillFromChain } from '../domain/popularity/popularity.js';
import { GLOBAL_SEGMENT, segmentChain } from '../domain/popularity/segments.js';
import { currentSessionItems, descendingScores } from '../domain/recommend/ordering.js';
import type { RecommendationRequest } from '../domain/recommend/request.js';
import type { CandidateSource } from '../ports/candidates.js';
import { POPULARITY_PAGE_ITEMS, type UserProfileStore } from '../ports/stores.js';
import type { ScoredItem, UserAttributes } from '../ports/types.js';
import type { NgList } from './candidate-sources.js';
import type { PopularitySource } from './popularity-source.js';
import { type VisitorEvents, visitorEvents } from './session-source.js';

export interface ServedItem {
  readonly itemId: string;
  readonly score: number;
  /** Which step filled the item: the arm's source, `popularity:segment` or `popularity:global`. */
  readonly source: string;
}

/** The API's answer (Personalize's field names where they exist). */
export interface RecommendResponse {
  readonly recommendationId: string;
  /** The user served; for an anonymous session its sessionId (Personalize's convention). */
  readonly userId: string;
  /** Set when the list was asked for a session (`GET /sessions/{sessionId}/recommendations`). */
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

export interface RecommendDeps {
  readonly experiments: ExperimentConfig;
  readonly sources: Readonly<Record<string, CandidateSource>>;
  readonly profiles: UserProfileStore;
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
  const slotName = req.slot ?? deps.experiments.defaultSlot;
  const slot = ownValue(deps.experiments.slots, slotName);
  if (!slot) {
    throw new ValidationError(
      `unknown slot '${slotName}'; configured: ${Object.keys(deps.experiments.slots).join(', ')}`,
      'slot',
    );
  }
  const failures: string[] = [];
  // the session route serves the user the session belongs to once it carries a userId
  const sessionEvents = req.sessionId !== undefined ? await readEvents(deps, req) : undefined;
  if (sessionEvents?.failed) failures.push('events');
  const userId = sessionEvents?.events.find((e) => e.userId !== undefined)?.userId ?? req.userId;
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
    arm = assignArm(slot, userId);
  }
  const repeat = req.repeat ?? slot.repeat ?? DEFAULT_REPEAT_POLICY;
  const source = ownValue(deps.sources, arm.algorithm);
  const recentLimit = deps.recentLimit ?? 0;
  const want =
    req.numResults + req.exclude.length + (deps.headroom ?? 20) + (repeat === 'exclude' ? recentLimit : 0);
  const context = { repeat, ...(req.sessionId !== undefined ? { sessionId: req.sessionId } : {}) };
  // the session's items: read alongside the arm (the session arm's own read is the same cached one)
  const eventsPromise = sessionEvents ? Promise.resolve(sessionEvents) : readEvents(deps, req);

  // independent lookups in parallel: the request path's latency is the slowest, not the sum. The NG
  // list and the popularity pointer answer stale data once the budget is spent; the arm and the profile
  // are given up once the budget is spent and those two are in (a cold process waits for them anyway)
  const time = budget(deps.budgetMs ?? Number.POSITIVE_INFINITY);
  const ngPromise = deps.ngList.ids(time.remaining());
  const activePromise = deps.popularity.active(time.remaining());
  const over = Promise.allSettled([time.over, ngPromise, activePromise]);
  const timedOut = (dependency: string) => () => new DeadlineError(dependency, deps.budgetMs ?? 0);
  const [armResult, profileResult, ngResult, activeResult] = await Promise.allSettled([
    source
      ? untilOver(source.candidates(userId, want, context), over, timedOut(source.source))
      : Promise.resolve([] as ScoredItem[]),
    untilOver(deps.profiles.getProfile(userId), over, timedOut('profiles')),
    ngPromise,
    activePromise,
  ]);
  if (ngResult.status === 'rejected') {
    // without any NG list we cannot promise that no NG item is shown
    throw new DependencyError('ng-items', String((ngResult.reason as Error)?.message ?? ngResult.reason));
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

  const ng = ngResult.value.ids;
  const excluded = new Set(req.exclude);
  const visitor = await eventsPromise;
  if (visitor.failed && !sessionEvents) failures.push('events');
  const sessionItems =
    req.sessionId !== undefined
      ? new Set(visitor.events.map((e) => e.itemId))
      : currentSessionItems(visitor.events);
  // under `exclude` no position shows a session item; under `allow` only the arm's own score may
  const repeatBlocked = (itemId: string) => repeat === 'exclude' && sessionItems.has(itemId);
  const blocked = (itemId: string) => ng.has(itemId) || excluded.has(itemId) || repeatBlocked(itemId);
  const fillBlocked = (itemId: string) => blocked(itemId) || sessionItems.has(itemId);
  const items: ServedItem[] = [];
  const taken = new Set<string>();
  const label = source?.source ?? arm.algorithm;
  for (const c of candidates) {
    if (items.length >= req.numResults) break;
    if (taken.has(c.itemId) || blocked(c.itemId)) continue;
    taken.add(c.itemId);
    items.push({ itemId: c.itemId, score: c.score, source: label });
  }
  const armItems = items.length;
  let fallbackAnswered = items.length >= req.numResults;

  if (items.length < req.numResults) {
    if (activeResult.status === 'rejected') {
      failures.push('popularity');
    } else if (activeResult.value) {
      const active = activeResult.value;
      if (active.stale) failures.push('popularity-pointer');
      const chain = segmentChain(attributes, active.meta.segmentColumns);
      try {
        const { lists, stale } = await deps.popularity.segmentLists(active.version, chain, time.remaining());
        if (stale) failures.push('popularity');
        const fill = fillFromChain(
          chain,
          lists,
          req.numResults - items.length,
          (id) => taken.has(id) || fillBlocked(id),
        );
        fallbackAnswered = true;
        for (const f of fill) {
          taken.add(f.itemId);
          items.push({
            itemId: f.itemId,
            score: f.score,
            source: f.segment === GLOBAL_SEGMENT ? 'popularity:global' : 'popularity:segment',
          });
        }
        const firstPage = lists.get(GLOBAL_SEGMENT);
        if (items.length < req.numResults && firstPage && firstPage.length >= POPULARITY_PAGE_ITEMS) {
          await fillFromGlobalPages(
            deps.popularity,
            active.version,
            req.numResults,
            items,
            taken,
            fillBlocked,
            time.remaining,
          );
        }
      } catch {
        failures.push('popularity');
      }
    }
  }
  time.cancel();
  // a 5xx only when nothing at all could answer; otherwise a (possibly short) degraded 200
  if (items.length === 0 && !fallbackAnswered && failures.length > 0) {
    throw new DependencyError(failures.join(','), 'no source could answer');
  }
  return {
    response: {
      recommendationId: randomUUID(),
      userId,
      ...(req.sessionId !== undefined ? { sessionId: req.sessionId } : {}),
      slot: slotName,
      experiment: slot.experiment,
      arm: arm.name,
      // arm and popularity scores live on different scales: one non-increasing list, order kept
      itemList: descendingScores(items),
      degraded: failures.length > 0,
    },
    diagnostics: { armItems, fallbackItems: items.length - armItems, failures, knownUser },
  };
}

/**
 * The visitor's recent events (the session's on the session route), or none with `failed` when the
 * events table fails: the list is then served without knowing the session's items.
 */
async function readEvents(
  deps: RecommendDeps,
  req: RecommendationRequest,
): Promise<{ events: StoredEvent[]; failed: boolean }> {
  const limit = deps.recentLimit ?? 0;
  if (!deps.recentEvents || limit <= 0) return { events: [], failed: false };
  const context = req.sessionId !== undefined ? { sessionId: req.sessionId } : undefined;
  try {
    return { events: await visitorEvents(deps.recentEvents, req.userId, limit, context), failed: false };
  } catch {
    return { events: [], failed: true };
  }
}

/**
 * Reads the global ranking further down, page by page, until the answer is full or the ranking ends:
 * NG and excluded items can leave the first page short, and the promise is a full answer whenever the
 * catalogue has enough allowed items. Each page is read once per process (a version never changes).
 */
async function fillFromGlobalPages(
  popularity: PopularitySource,
  version: string,
  numResults: number,
  items: ServedItem[],
  taken: Set<string>,
  blocked: (itemId: string) => boolean,
  remaining: () => number,
): Promise<void> {
  for (let page = 1; items.length < numResults; page++) {
    const list = await popularity.listPage(version, GLOBAL_SEGMENT, page, remaining());
    if (!list) return;
    for (const { itemId, score } of list) {
      if (items.length >= numResults) return;
      if (taken.has(itemId) || blocked(itemId)) continue;
      taken.add(itemId);
      items.push({ itemId, score, source: 'popularity:global' });
    }
    if (list.length < POPULARITY_PAGE_ITEMS) return;
  }
}
