import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { qualityGate } from '../../shared/pipeline/nightly.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';

/** QualityGate: no algorithm worse than its active version by more than the margin. */
export const handler = taskHandler('quality-gate', (event: { version: string }) =>
  qualityGate(getPipelineDeps(), event),
);
