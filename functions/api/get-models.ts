import { getContainer } from '../../shared/composition.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { modelsOverview } from '../../shared/use-cases/models.js';

const container = getContainer();

/** GET /admin/models: published version and offline metrics per algorithm, gate decisions, experiments (admin). */
export const handler = httpHandler(async (event: HttpEvent) => {
  requireAdmin(event, container.config.ADMIN_AUTH, container.config.OSUSUME_ADMIN_TOKEN);
  return json(200, await modelsOverview(container.state, container.experiments));
});
