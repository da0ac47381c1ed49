import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { getContainer } from '../../shared/composition.js';
import { parseRecommendationRequest } from '../../shared/domain/recommend/request.js';
import { hasAdminToken } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { logger, metrics } from '../../shared/observability/powertools.js';
import { recordImpression } from '../../shared/use-cases/impressions.js';
import { recommend } from '../../shared/use-cases/recommend.js';

const container = getContainer();

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
  // bounded wait: a slow events table delays the answer by at most IMPRESSION_MAX_WAIT_MS;
  // a QA arm override is not part of the experiment, so it is not measured
  const impression =
    request.arm === undefined
      ? await recordImpression(container, response, {
          sampleRate: container.config.IMPRESSION_SAMPLE_RATE,
          maxWaitMs: container.config.IMPRESSION_MAX_WAIT_MS,
          onError: (err) => logger.warn('impression not recorded', { error: err as Error }),
        })
      : 'skipped';
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
