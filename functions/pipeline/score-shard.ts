import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import { type ShardInput, scoreShard } from '../../shared/pipeline/nightly.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';

/** One shard of a scoring Map: top-N lists for a user range under the run's version. */
export const handler = taskHandler('score-shard', (event: ShardInput) =>
  scoreShard(getPipelineDeps(), event),
);
