import { SCORED_ALGORITHMS } from '../../shared/pipeline/nightly.js';
import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';
import { type PlanTuningInput, planTuning } from '../../shared/pipeline/tuning.js';

/** PlanTuning: is tuning due tonight, and which trials (within the trials and Lambda-minutes budgets). */
export const handler = taskHandler('plan-tuning', (event: Omit<PlanTuningInput, 'algorithms'>) =>
  planTuning(getPipelineDeps(), { ...event, algorithms: SCORED_ALGORITHMS }),
);
