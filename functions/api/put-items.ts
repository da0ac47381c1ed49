import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { lazyItemsForward } from '../../shared/adapters/personalize/lazy-catalog-forwarder.js';
import { getContainer } from '../../shared/composition.js';
import { buildCatalogExport } from '../../shared/event-export-container.js';
import { type HttpEvent, httpHandler, json, parseJsonBody } from '../../shared/http/http-handler.js';
import { logger, metrics } from '../../shared/observability/powertools.js';
import { DatasetColumnsSource, putItems } from '../../shared/use-cases/catalog.js';

const container = getContainer();
const cfg = container.config;
// only the POST functions export or forward writes: kept out of the shared container
const catalogExport = buildCatalogExport(cfg, 'items');
const forward = cfg.PERSONALIZE_ITEMS_DATASET_ARN
  ? lazyItemsForward(cfg.PERSONALIZE_ITEMS_DATASET_ARN, cfg.AWS_REGION, {
      timeoutMs: cfg.PERSONALIZE_EVENTS_TIMEOUT_MS,
      maxAttempts: 2,
    })
  : undefined;
const columns = new DatasetColumnsSource(container.state, cfg.POINTER_CACHE_TTL_SECONDS * 1000);

/** POST /items: {items: [{itemId, properties}] (1..10)} (Personalize PutItems shape); exported for the next night. */
export const handler = httpHandler(async (event: HttpEvent) => {
  const result = await putItems(
    {
      columns,
      export: catalogExport,
      forward,
      onForwardError: (err) => {
        // the items are exported; Personalize learns them with the next import
        logger.warn('personalize PutItems failed', { error: err as Error });
        metrics.addMetric('putItemsForwardFailed', MetricUnit.Count, 1);
      },
    },
    parseJsonBody(event),
  );
  metrics.addMetric('itemsWritten', MetricUnit.Count, result.received);
  return json(200, result);
});
