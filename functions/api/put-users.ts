import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { lazyUsersForward } from '../../shared/adapters/personalize/lazy-catalog-forwarder.js';
import { getContainer } from '../../shared/composition.js';
import { buildCatalogExport } from '../../shared/event-export-container.js';
import { type HttpEvent, httpHandler, json, parseJsonBody } from '../../shared/http/http-handler.js';
import { logger, metrics } from '../../shared/observability/powertools.js';
import { DatasetColumnsSource, putUsers } from '../../shared/use-cases/catalog.js';

const container = getContainer();
const cfg = container.config;
// only the POST functions export or forward writes: kept out of the shared container
const catalogExport = buildCatalogExport(cfg, 'users');
const forward = cfg.PERSONALIZE_USERS_DATASET_ARN
  ? lazyUsersForward(cfg.PERSONALIZE_USERS_DATASET_ARN, cfg.AWS_REGION, {
      timeoutMs: cfg.PERSONALIZE_EVENTS_TIMEOUT_MS,
      maxAttempts: 2,
    })
  : undefined;
const columns = new DatasetColumnsSource(container.state, cfg.POINTER_CACHE_TTL_SECONDS * 1000);

/** POST /users: {users: [{userId, properties}] (1..10)} (Personalize PutUsers shape); profiles apply at once. */
export const handler = httpHandler(async (event: HttpEvent) => {
  const result = await putUsers(
    {
      columns,
      profiles: container.profiles,
      export: catalogExport,
      forward,
      onForwardError: (err) => {
        // the profiles are stored and exported; Personalize learns them with the next import
        logger.warn('personalize PutUsers failed', { error: err as Error });
        metrics.addMetric('putUsersForwardFailed', MetricUnit.Count, 1);
      },
    },
    parseJsonBody(event),
  );
  metrics.addMetric('usersWritten', MetricUnit.Count, result.received);
  return json(200, result);
});
