import { getContainer } from '../../shared/composition.js';
import { parseRecommendationRequest } from '../../shared/domain/recommend/request.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { logger } from '../../shared/observability/powertools.js';
import { getRecommendations } from '../../shared/use-cases/get-recommendations.js';

const container = getContainer();

/** GET /users/{userId}/recommendations?numResults=N */
export const handler = httpHandler(async (event: HttpEvent) => {
  const request = parseRecommendationRequest(
    event.pathParameters?.userId,
    event.queryStringParameters ?? {},
    container.config.DEFAULT_NUM_RESULTS,
  );
  const result = await getRecommendations(container, request);
  logger.info('served', {
    userId: result.userId,
    source: result.source,
    segment: result.segment,
    n: result.itemList.length,
  });
  return json(200, result);
});
