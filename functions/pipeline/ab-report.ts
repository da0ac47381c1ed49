import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';
import { publishAbReport } from '../../shared/use-cases/events.js';

/** AbReport: the per-arm rates of the last days, stored as artifacts and the `ab-report#latest` record. */
export const handler = taskHandler('ab-report', (event: { days?: number } | undefined) => {
  const deps = getPipelineDeps();
  return publishAbReport(
    { ...deps, windowMs: deps.config.ATTRIBUTION_WINDOW_HOURS * 3_600_000 },
    { days: event?.days },
  );
});
