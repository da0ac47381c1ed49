import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { type TrainInput, trainModel } from '../../shared/pipeline/nightly.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';

/** TrainCf / TrainFm / TrainSession: fit one algorithm on the snapshot and store the model. */
export const handler = taskHandler('train-model', (event: TrainInput) =>
  trainModel(getPipelineDeps(), event),
);
