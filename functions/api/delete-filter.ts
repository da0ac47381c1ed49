import { getContainer } from '../../shared/composition.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler } from '../../shared/http/http-handler.js';
import { logger } from '../../shared/observability/powertools.js';
import { deleteFilter } from '../../shared/use-cases/filters.js';

const container = getContainer();

/** DELETE /filters/{name}: 204, or 404 when there is no such filter. */
export const handler = httpHandler(async (event: HttpEvent) => {
  requireAdmin(event, container.config.ADMIN_AUTH, container.config.OSUSUME_ADMIN_TOKEN);
  await deleteFilter(container, event.pathParameters?.name);
  logger.info('filter deleted', { filter: event.pathParameters?.name });
  return { statusCode: 204 };
});
