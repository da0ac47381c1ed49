import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Container } from '../composition.js';
import {
  type ItemListRequest,
  type KnownColumns,
  parseItemListRequest,
} from '../domain/recommend/surface-request.js';
import { logger, metrics } from '../observability/powertools.js';
import { ImpressionRecorder, type ServedListRecord } from '../use-cases/impressions.js';
import type { ServedList } from '../use-cases/recommend.js';
import { POPULARITY } from '../use-cases/popularity-source.js';
import { knownColumns } from '../use-cases/surfaces.js';
import { warmRequestCaches } from '../use-cases/warm-up.js';
import { isAdmin } from './admin-auth.js';
import { type HttpEvent, httpHandler, json } from './http-handler.js';

/** The impression recorder of one list route's process (batched, never awaited by a request). */
export function listImpressions(container: Container): ImpressionRecorder {
  return new ImpressionRecorder(container.events, {
    sampleRate: container.config.IMPRESSION_SAMPLE_RATE,
    batchMs: container.config.IMPRESSION_BATCH_MS,
    onError: (err, lost) => {
      logger.warn('impressions not recorded', { error: err as Error, lost });
      metrics.addMetric('impressionsLost', MetricUnit.Count, lost);
    },
  });
}

/**
 * Starts, at a request function's init, the loads every request needs first (NG list, popularity pointer,
 * global list and catalogue, columns, the pointers of the configured arms and of the item lists), so the
 * first requests after a cold start do not all queue behind them. Not awaited: a request never waits for
 * it, it shares its loads.
 */
export function warmUp(container: Container): void {
  const algorithms = new Set<string>(['cf', 'session', POPULARITY]);
  for (const slot of Object.values(container.experiments.slots))
    for (const arm of slot.arms) algorithms.add(arm.algorithm);
  void warmRequestCaches(container, [...algorithms]);
}

/** The dataset columns a list route validates its query by (none known: the upper-case rule). */
export function routeColumns(container: Container) {
  return knownColumns(container.columns, container.config.REQUEST_BUDGET_MS / 2);
}

/** Whether an `arm=` override may be honoured: only for an admin caller. */
export function armOverrideAllowed(container: Container, event: HttpEvent, arm: string | undefined): boolean {
  const { ADMIN_AUTH, OSUSUME_ADMIN_TOKEN } = container.config;
  return arm !== undefined && isAdmin(event, ADMIN_AUTH, OSUSUME_ADMIN_TOKEN);
}

/**
 * Metrics, the log line and the impression of a served list: recorded only with a user (item surfaces
 * may be anonymous) and without a QA arm override.
 */
export function reportServed(
  impressions: ImpressionRecorder,
  surface: string,
  started: number,
  served: ServedList,
  record: ServedListRecord | undefined,
): void {
  const impression = record !== undefined && impressions.record(record);
  const ms = performance.now() - started;
  metrics.addDimensions({ arm: served.arm, surface });
  metrics.addMetric('served', MetricUnit.Count, 1);
  metrics.addMetric('fallbackItems', MetricUnit.Count, served.items.length - served.armItems);
  if (served.degraded) metrics.addMetric('degraded', MetricUnit.Count, 1);
  metrics.addMetric('latency', MetricUnit.Milliseconds, ms);
  logger.info('served', {
    surface,
    arm: served.arm,
    slot: served.slot,
    ms,
    impression,
    armItems: served.armItems,
    failures: served.failures,
  });
}

/** The parse step of the item routes (`/items/{itemId}/…`): the path's item id, then the list query. */
export function parseItemRoute(
  container: Container,
): (event: HttpEvent, columns: KnownColumns) => ItemListRequest {
  const { DEFAULT_NUM_RESULTS, MAX_METADATA_COLUMNS } = container.config;
  return (event, columns) =>
    parseItemListRequest(
      event.pathParameters?.itemId,
      event.queryStringParameters ?? {},
      DEFAULT_NUM_RESULTS,
      columns,
      MAX_METADATA_COLUMNS,
    );
}

/** What one list route adds to the shared steps: how it parses, which use case serves, what it records. */
export interface ListRoute<Req extends { readonly arm?: string }, Res> {
  parse(event: HttpEvent, columns: KnownColumns): Req;
  serve(request: Req, options: { adminAuthorized: boolean }): Promise<{ response: Res; served: ServedList }>;
  /** The `surface` of metrics and the log line (e.g. `similar`, `ranking:trending`). */
  surface(response: Res): string;
  /** The impression of an answer; undefined records none (no user to attribute it to). */
  record(response: Res): ServedListRecord | undefined;
}

/**
 * A list route's handler: parse (with the dataset columns), honour `arm=` only for an admin, serve, then
 * metrics, the log line and the impression (never for a QA arm override). The use case is passed in by
 * the route's own module, so each function's call graph (and IAM) holds only its own use case.
 */
export function listRouteHandler<Req extends { readonly arm?: string }, Res>(
  container: Container,
  route: ListRoute<Req, Res>,
) {
  const impressions = listImpressions(container);
  warmUp(container);
  return httpHandler(async (event: HttpEvent) => {
    const started = performance.now();
    const request = route.parse(event, await routeColumns(container));
    const adminAuthorized = armOverrideAllowed(container, event, request.arm);
    const { response, served } = await route.serve(request, { adminAuthorized });
    const record = request.arm === undefined ? route.record(response) : undefined;
    reportServed(impressions, route.surface(response), started, served, record);
    return json(200, response);
  });
}

/** The impression of an item surface or ranking: recorded only when the shopper is known. */
export function recordWithUser<R extends Omit<ServedListRecord, 'userId'> & { readonly userId?: string }>(
  response: R,
): ServedListRecord | undefined {
  return response.userId !== undefined ? { ...response, userId: response.userId } : undefined;
}
