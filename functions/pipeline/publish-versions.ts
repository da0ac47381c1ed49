import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { publishRun } from '../../shared/pipeline/nightly.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';

/** Publish: flip every algorithm's active version pointer (conditional writes) and publish the champion. */
export const handler = taskHandler('publish-versions', (event: Parameters<typeof publishRun>[1]) =>
  publishRun(getPipelineDeps(), event),
);
