import { getContainer } from '../../shared/composition.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { logger } from '../../shared/observability/powertools.js';
import { putNgItem } from '../../shared/use-cases/ng-items.js';

const container = getContainer();

/** PUT /ng-items/{itemId} with optional body {"reason"}: the item is never recommended again. */
export const handler = httpHandler(async (event: HttpEvent) => {
  requireAdmin(event, container.config.ADMIN_AUTH, container.config.OSUSUME_ADMIN_TOKEN);
  const item = await putNgItem(container, event.pathParameters?.itemId, event.body);
  logger.info('ng item added', { itemId: item.itemId });
  return json(200, item);
});
