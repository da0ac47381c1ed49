import { parsePersonalizeConfig } from '../../shared/config/personalize-config.js';
import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { type RecordInput, recordRetraining } from '../../shared/pipeline/personalize.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';

const config = parsePersonalizeConfig();

/** RecordRetraining: remember tuning/solution, store metrics, decide the campaign gate. */
export const handler = taskHandler('record-retraining', (event: RecordInput) =>
  recordRetraining(getPipelineDeps(), config, event),
);
