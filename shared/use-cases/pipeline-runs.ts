import { NotFoundError, ValidationError } from '../domain/errors.js';
import { parseRunRequest, type RunView, validateRunId } from '../domain/pipeline/runs.js';
import type { PipelineRuns } from '../ports/pipeline-runs.js';

/** POST /admin/pipeline/runs: starts a run (or finds the one a retried request started). */
export function startRun(runs: PipelineRuns, body: unknown) {
  return runs.start(parseRunRequest(body));
}

/** GET /admin/pipeline/runs?limit=: recent runs of both machines, newest first. */
export async function listRuns(
  runs: PipelineRuns,
  query: Readonly<Record<string, string | undefined>>,
): Promise<RunView[]> {
  const raw = query.limit ?? '20';
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > 100)
    throw new ValidationError('limit must be an integer in 1..100', 'limit');
  return runs.list(Number(raw));
}

/** GET /admin/pipeline/runs/{runId}: one run with timings per state; 404 when unknown. */
export async function getRun(runs: PipelineRuns, runId: string | undefined): Promise<RunView> {
  const id = validateRunId(runId);
  const run = await runs.get(id);
  if (!run) throw new NotFoundError(`no pipeline run '${id}'`);
  return run;
}
