import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { type NightlyInput, prepareRun } from '../../shared/pipeline/nightly.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';

/** Prepare: snapshot the dataset, validate it with the loader, plan user shards. */
export const handler = taskHandler('prepare-dataset', (event: NightlyInput) =>
  prepareRun(getPipelineDeps(), event),
);
