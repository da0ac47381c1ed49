import { getContainer } from '../../shared/composition.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { abReport } from '../../shared/use-cases/events.js';

const container = getContainer();

/** GET /reports/ab?since=&until=&slot=&control=: per-arm rates with intervals and tests (admin). */
export const handler = httpHandler(async (event: HttpEvent) => {
  requireAdmin(event, container.config.ADMIN_AUTH, container.config.OSUSUME_ADMIN_TOKEN);
  const q = event.queryStringParameters ?? {};
  const report = await abReport(
    {
      events: container.events,
      experiments: container.experiments,
      windowMs: container.config.ATTRIBUTION_WINDOW_HOURS * 3_600_000,
    },
    { since: q.since, until: q.until, slot: q.slot, control: q.control },
  );
  return json(200, report);
});
