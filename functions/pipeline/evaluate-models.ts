import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { evaluateRun } from '../../shared/pipeline/nightly.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';

/** Evaluate: offline metrics per algorithm of the stored models (Personalize protocol), stored per version. */
export const handler = taskHandler('evaluate-models', (event: Parameters<typeof evaluateRun>[1]) =>
  evaluateRun(getPipelineDeps(), event),
);
