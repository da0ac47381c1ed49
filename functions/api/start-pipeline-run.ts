import { config as readConfig } from '../../shared/config/config.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { requireAdmin } from '../../shared/http/admin-auth.js';
import { type HttpEvent, httpHandler, json } from '../../shared/http/http-handler.js';
import { buildPipelineRuns } from '../../shared/pipeline-runs-container.js';
import { startRun } from '../../shared/use-cases/pipeline-runs.js';

const config = readConfig();
const runs = await buildPipelineRuns(config);

/** POST /admin/pipeline/runs {machine, hpo?, requestId?}: 202 with the runId (200 when a retry finds it). */
export const handler = httpHandler(async (event: HttpEvent) => {
  requireAdmin(event, config.ADMIN_AUTH, config.OSUSUME_ADMIN_TOKEN);
  let body: unknown;
  try {
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : event.body;
    body = JSON.parse(text ?? '');
  } catch {
    throw new ValidationError('the body must be valid JSON', 'body');
  }
  const run = await startRun(runs, body);
  return json(run.started ? 202 : 200, run);
});
