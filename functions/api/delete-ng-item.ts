import { getContainer } from '../../shared/composition.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler } from '../../shared/http/http-handler.js';
import { logger } from '../../shared/observability/powertools.js';
import { deleteNgItem } from '../../shared/use-cases/ng-items.js';

const container = getContainer();

/** DELETE /ng-items/{itemId}: 204, or 404 when the item was not on the list. */
export const handler = httpHandler(async (event: HttpEvent) => {
  requireAdmin(event, container.config.ADMIN_AUTH, container.config.OSUSUME_ADMIN_TOKEN);
  await deleteNgItem(container, event.pathParameters?.itemId);
  logger.info('ng item removed', { itemId: event.pathParameters?.itemId });
  return { statusCode: 204 };
});
