import { lazyUsersForward } from '../../shared/adapters/personalize/lazy-catalog-forwarder.js';
import { getContainer } from '../../shared/composition.js';
import { catalogWriteHandler } from '../../shared/http/catalog-route.js';
import { putUsers } from '../../shared/use-cases/catalog.js';

const container = getContainer();

/** POST /users: {users: [{userId, properties}] (1..10)} (Personalize PutUsers shape); profiles apply at once. */
export const handler = catalogWriteHandler(container, {
  kind: 'users',
  datasetArn: container.config.PERSONALIZE_USERS_DATASET_ARN,
  forwarder: lazyUsersForward,
  write: putUsers,
  profiles: container.profiles,
});
