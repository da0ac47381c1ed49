import { lazyItemsForward } from '../../shared/adapters/personalize/lazy-catalog-forwarder.js';
import { getContainer } from '../../shared/composition.js';
import { catalogWriteHandler } from '../../shared/http/catalog-route.js';
import { putItems } from '../../shared/use-cases/catalog.js';

const container = getContainer();

/** POST /items: {items: [{itemId, properties}] (1..10)} (Personalize PutItems shape); exported for the next night. */
export const handler = catalogWriteHandler(container, {
  kind: 'items',
  datasetArn: container.config.PERSONALIZE_ITEMS_DATASET_ARN,
  forwarder: lazyItemsForward,
  write: putItems,
});
