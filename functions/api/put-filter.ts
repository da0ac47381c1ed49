import { getContainer } from '../../shared/composition.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { logger } from '../../shared/observability/powertools.js';
import { putFilter } from '../../shared/use-cases/filters.js';

const container = getContainer();

/** PUT /filters/{name} with {"expression", "personalizeFilterArn"?}: a filter requests name with `filter=`. */
export const handler = httpHandler(async (event: HttpEvent) => {
  requireAdmin(event, container.config.ADMIN_AUTH, container.config.OSUSUME_ADMIN_TOKEN);
  const filter = await putFilter(container, event.pathParameters?.name, event.body);
  logger.info('filter stored', { filter: filter.name, updatedAt: filter.updatedAt });
  return json(200, filter);
});
