import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { type RunContext, computePopularity } from '../../shared/pipeline/nightly.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';

/** ComputePopularity: global, segment and category lists under the run's version. */
export const handler = taskHandler('compute-popularity', (event: { run: RunContext }) =>
  computePopularity(getPipelineDeps(), event),
);
