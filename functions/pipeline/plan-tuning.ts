import { championCandidates } from '../../shared/domain/algorithms/registry.js';
import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';
import { type PlanTuningInput, planTuning } from '../../shared/pipeline/tuning.js';

/** PlanTuning: is tuning due tonight, and which trials of the champion candidates (within the budgets). */
export const handler = taskHandler('plan-tuning', (event: Omit<PlanTuningInput, 'algorithms'>) =>
  planTuning(getPipelineDeps(), { ...event, algorithms: championCandidates() }),
);
