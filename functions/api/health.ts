import { getContainer } from '../../shared/composition.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { checkHealth } from '../../shared/use-cases/health.js';

const container = getContainer();

/** GET /health: 200 when DynamoDB answers one GetItem within HEALTH_TIMEOUT_MS, else 503 naming it. */
export const handler = httpHandler(async (_event: HttpEvent) => {
  const dependencies = await checkHealth(container, container.config.HEALTH_TIMEOUT_MS);
  return json(200, { status: 'ok', service: 'osusume', stage: container.config.OSUSUME_STAGE, dependencies });
});
