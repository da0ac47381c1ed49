import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { type RunContext, evaluateRun } from '../../shared/pipeline/nightly.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';

/** Evaluate: offline metrics per algorithm (Personalize protocol), stored per version. */
export const handler = taskHandler('evaluate-models', (event: { run: RunContext }) =>
  evaluateRun(getPipelineDeps(), event),
);
