import { config as readConfig } from '../../shared/config/config.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { buildPipelineRuns } from '../../shared/pipeline-runs-container.js';
import { listRuns } from '../../shared/use-cases/pipeline-runs.js';

const config = readConfig();
const runs = await buildPipelineRuns(config);

/** GET /admin/pipeline/runs?limit=: recent runs of both state machines, newest first. */
export const handler = httpHandler(async (event: HttpEvent) => {
  requireAdmin(event, config.ADMIN_AUTH, config.OSUSUME_ADMIN_TOKEN);
  return json(200, { runs: await listRuns(runs, event.queryStringParameters ?? {}) });
});
