import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { getContainer } from '../../shared/composition.js';
import { UnauthorizedError } from '../../shared/domain/errors.js';
import {
  checkServedAt,
  parseRecommendationRequest,
  parseSessionRecommendationRequest,
} from '../../shared/domain/recommend/request.js';
import { isAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { routeColumns, warmUp } from '../../shared/http/list-route.js';
import { logger, metrics } from '../../shared/observability/powertools.js';
import { ImpressionRecorder } from '../../shared/use-cases/impressions.js';
import { recommend } from '../../shared/use-cases/recommend.js';

const container = getContainer();
// the session kNN model and the data every request reads first load while the function initialises
void container.sessionModel?.preload();
warmUp(container);
const PREVIEW_ROUTE = 'GET /admin/users/{userId}/recommendations';
const SESSION_ROUTE = 'GET /sessions/{sessionId}/recommendations';
const SESSION_PREVIEW_ROUTE = 'GET /admin/sessions/{sessionId}/recommendations';
const impressions = new ImpressionRecorder(container.events, {
  sampleRate: container.config.IMPRESSION_SAMPLE_RATE,
  batchMs: container.config.IMPRESSION_BATCH_MS,
  onError: (err, lost) => {
    logger.warn('impressions not recorded', { error: err as Error, lost });
    metrics.addMetric('impressionsLost', MetricUnit.Count, lost);
  },
});

/**
 * GET /users/{userId}/recommendations?numResults=&slot=&exclude=&repeat=&arm=&metadata=&filter=&<USER_ATTRIBUTE>= (app key),
 * the same for an anonymous visitor's session GET /sessions/{sessionId}/recommendations (app key), and the
 * admin previews GET /admin/users/{userId}/recommendations and GET /admin/sessions/{sessionId}/recommendations
 * (IAM on AWS, the admin token locally), where the `arm=` override of QA is honoured for IAM callers too.
 */
export const handler = httpHandler(async (event: HttpEvent) => {
  const started = performance.now();
  const preview = event.routeKey === PREVIEW_ROUTE || event.routeKey === SESSION_PREVIEW_ROUTE;
  const session = event.routeKey === SESSION_ROUTE || event.routeKey === SESSION_PREVIEW_ROUTE;
  const query = event.queryStringParameters ?? {};
  const parse = session ? parseSessionRecommendationRequest : parseRecommendationRequest;
  const request = parse(
    session ? event.pathParameters?.sessionId : event.pathParameters?.userId,
    query,
    container.config.DEFAULT_NUM_RESULTS,
    await routeColumns(container),
    container.config.MAX_METADATA_COLUMNS,
  );
  const { ADMIN_AUTH, OSUSUME_ADMIN_TOKEN, EVENT_MAX_SKEW_SECONDS, EVENT_TTL_DAYS } = container.config;
  const admin =
    (preview || request.arm !== undefined || request.servedAt !== undefined) &&
    isAdmin(event, ADMIN_AUTH, OSUSUME_ADMIN_TOKEN);
  if (preview && !admin)
    throw new UnauthorizedError('the preview route needs IAM authorisation or the admin token');
  if (request.servedAt !== undefined) {
    if (!admin) throw new UnauthorizedError('servedAt needs the admin token');
    checkServedAt(request.servedAt, Date.now(), EVENT_MAX_SKEW_SECONDS * 1000, EVENT_TTL_DAYS * 86_400_000);
  }
  const { response, diagnostics } = await recommend(container, request, { adminAuthorized: admin });
  // queued for a batched write, never awaited; previews and QA arm overrides are not part of the experiment
  const impression = !preview && request.arm === undefined && impressions.record(response, request.servedAt);
  const ms = performance.now() - started;
  metrics.addDimensions({ arm: response.arm });
  metrics.addMetric('served', MetricUnit.Count, 1);
  metrics.addMetric('fallbackItems', MetricUnit.Count, diagnostics.fallbackItems);
  if (response.degraded) metrics.addMetric('degraded', MetricUnit.Count, 1);
  metrics.addMetric('latency', MetricUnit.Milliseconds, ms);
  logger.info('served', {
    userId: response.userId,
    sessionId: response.sessionId,
    arm: response.arm,
    slot: response.slot,
    ms,
    impression,
    ...diagnostics,
  });
  return json(200, response);
});
