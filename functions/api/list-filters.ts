import { getContainer } from '../../shared/composition.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { listFilters } from '../../shared/use-cases/filters.js';

const container = getContainer();

/** GET /filters: every stored filter with its placeholders. */
export const handler = httpHandler(async (event: HttpEvent) => {
  requireAdmin(event, container.config.ADMIN_AUTH, container.config.OSUSUME_ADMIN_TOKEN);
  return json(200, { filters: await listFilters(container) });
});
