import { config as readConfig } from '../../shared/config/config.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { buildPipelineRuns } from '../../shared/pipeline-runs-container.js';
import { getRun } from '../../shared/use-cases/pipeline-runs.js';

const config = readConfig();
const runs = await buildPipelineRuns(config);

/** GET /admin/pipeline/runs/{runId}: status, timings per state and, on failure, the failing state and error. */
export const handler = httpHandler(async (event: HttpEvent) => {
  requireAdmin(event, config.ADMIN_AUTH, config.OSUSUME_ADMIN_TOKEN);
  return json(200, await getRun(runs, event.pathParameters?.runId));
});
