import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { getAppKeyAuthorizer } from '../../shared/app-auth-container.js';
import { logger, metrics } from '../../shared/observability/powertools.js';
import { APP_KEY_HEADER } from '../../shared/use-cases/app-auth.js';

const authorizer = getAppKeyAuthorizer();

/**
 * Lambda authorizer (HTTP API, payload 2.0, simple responses) of the app routes: the `x-api-key` header
 * must be one of the apps' keys. API Gateway answers 401 itself when the header is missing and 403 when
 * this returns false; the app id reaches the route's handler as `requestContext.authorizer.lambda.appId`.
 */
export const handler = async (
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<{ appId: string }>> => {
  const app = await authorizer.authorize(event.headers?.[APP_KEY_HEADER]);
  if (!app) {
    logger.info('app key rejected', { routeKey: event.routeKey });
    metrics.addMetric('appKeyRejected', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    return { isAuthorized: false, context: { appId: '' } };
  }
  return { isAuthorized: true, context: { appId: app.appId } };
};
