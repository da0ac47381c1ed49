import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';
import { type TrialInput, tuneTrial } from '../../shared/pipeline/tuning.js';

/** TuneTrial: one trial of the Tune Map (train on the validation-train part, score the validation part). */
export const handler = taskHandler('tune-trial', (event: TrialInput) => tuneTrial(getPipelineDeps(), event));
