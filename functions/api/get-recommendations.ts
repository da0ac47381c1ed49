import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { getContainer } from '../../shared/composition.js';
import { parseRecommendationRequest } from '../../shared/domain/recommend/request.js';
import { hasAdminToken } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { logger, metrics } from '../../shared/observability/powertools.js';
import { ImpressionRecorder } from '../../shared/use-cases/impressions.js';
import { recommend } from '../../shared/use-cases/recommend.js';

const container = getContainer();
const impressions = new ImpressionRecorder(container.events, {
  sampleRate: container.config.IMPRESSION_SAMPLE_RATE,
  batchMs: container.config.IMPRESSION_BATCH_MS,
  onError: (err, lost) => {
    logger.warn('impressions not recorded', { error: err as Error, lost });
    metrics.addMetric('impressionsLost', MetricUnit.Count, lost);
  },
});

/** GET /users/{userId}/recommendations?numResults=&slot=&exclude=&arm=&<USER_ATTRIBUTE>= */
export const handler = httpHandler(async (event: HttpEvent) => {
  const started = performance.now();
  const request = parseRecommendationRequest(
    event.pathParameters?.userId,
    event.queryStringParameters ?? {},
    container.config.DEFAULT_NUM_RESULTS,
  );
  const adminAuthorized =
    request.arm !== undefined && hasAdminToken(event, container.config.OSUSUME_ADMIN_TOKEN);
  const { response, diagnostics } = await recommend(container, request, { adminAuthorized });
  // queued for a batched write, never awaited; a QA arm override is not part of the experiment
  const impression = request.arm === undefined && impressions.record(response);
  const ms = performance.now() - started;
  metrics.addDimensions({ arm: response.arm });
  metrics.addMetric('served', MetricUnit.Count, 1);
  metrics.addMetric('fallbackItems', MetricUnit.Count, diagnostics.fallbackItems);
  if (response.degraded) metrics.addMetric('degraded', MetricUnit.Count, 1);
  metrics.addMetric('latency', MetricUnit.Milliseconds, ms);
  logger.info('served', {
    userId: response.userId,
    arm: response.arm,
    slot: response.slot,
    ms,
    impression,
    ...diagnostics,
  });
  return json(200, response);
});
