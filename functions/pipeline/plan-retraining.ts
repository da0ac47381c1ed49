import { parsePersonalizeConfig } from '../../shared/config/personalize-config.js';
import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { type RetrainingInput, planRetraining } from '../../shared/pipeline/personalize.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';

const config = parsePersonalizeConfig();

/** PlanRetraining: import plan, HPO policy, which solution to train. */
export const handler = taskHandler('plan-retraining', (event: RetrainingInput) =>
  planRetraining(getPipelineDeps(), config, event),
);
