import { getContainer } from '../../shared/composition.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { listNgItems } from '../../shared/use-cases/ng-items.js';

const container = getContainer();

/** GET /ng-items?limit=&cursor=: one page of the NG list and the cursor of the next. */
export const handler = httpHandler(async (event: HttpEvent) => {
  requireAdmin(event, container.config.ADMIN_AUTH, container.config.OSUSUME_ADMIN_TOKEN);
  const page = await listNgItems(container, event.queryStringParameters ?? {});
  return json(200, { items: page.items, ...(page.next ? { nextCursor: page.next } : {}) });
});
