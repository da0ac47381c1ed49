import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';
import { type SelectInput, selectChampion } from '../../shared/pipeline/tuning.js';

/** SelectChampion: best params per algorithm and the champion from the trials, stored for later nights. */
export const handler = taskHandler('select-champion', (event: SelectInput) =>
  selectChampion(getPipelineDeps(), event),
);
