import { config as readConfig } from '../../shared/config/config.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json, parseJsonBody } from '../../shared/http/http-handler.js';
import { buildPipelineRuns } from '../../shared/pipeline-runs-container.js';
import { startRun } from '../../shared/use-cases/pipeline-runs.js';

const config = readConfig();
const runs = await buildPipelineRuns(config);

/** POST /admin/pipeline/runs {machine, hpo?, requestId?}: 202 with the runId (200 when a retry finds it). */
export const handler = httpHandler(async (event: HttpEvent) => {
  requireAdmin(event, config.ADMIN_AUTH, config.OSUSUME_ADMIN_TOKEN);
  const run = await startRun(runs, parseJsonBody(event));
  return json(run.started ? 202 : 200, run);
});
