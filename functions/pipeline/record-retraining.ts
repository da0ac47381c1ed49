import { parsePersonalizeConfig } from '../../shared/config/personalize-config.js';
import { getPipelineDeps } from '../../shared/pipeline/pipeline-container.js';
import type { KnownUsersLayout } from '../../shared/domain/personalize/known-users.js';
import { publishKnownUsers, type RecordInput, recordRetraining } from '../../shared/pipeline/personalize.js';
import { taskHandler } from '../../shared/pipeline/task-handler.js';

const config = parsePersonalizeConfig();

/**
 * RecordRetraining: remember tuning/solution, store metrics, decide the campaign gate; and
 * PublishKnownUsers (`{ publishKnownUsers }`, after the campaign update): point serving at the trained users.
 */
export const handler = taskHandler(
  'record-retraining',
  async (event: RecordInput | { publishKnownUsers: KnownUsersLayout | null }) =>
    'publishKnownUsers' in event
      ? publishKnownUsers(getPipelineDeps(), event.publishKnownUsers)
      : recordRetraining(getPipelineDeps(), config, event),
);
