import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { lazyEventTracker } from '../../shared/adapters/personalize/lazy-event-tracker.js';
import { getContainer } from '../../shared/composition.js';
import { buildEventExport } from '../../shared/event-export-container.js';
import { parseEventTypeMapping } from '../../shared/domain/events/events.js';
import { type HttpEvent, httpHandlerWith, json, parseJsonBody } from '../../shared/http/http-handler.js';
import { logger, metrics } from '../../shared/observability/powertools.js';
import { ingestEvents, SessionOwners } from '../../shared/use-cases/events.js';

const container = getContainer();
const cfg = container.config;
// only this function forwards events or parses their types: kept out of the shared container
const eventTracker = cfg.PERSONALIZE_TRACKING_ID
  ? lazyEventTracker(cfg.PERSONALIZE_TRACKING_ID, cfg.AWS_REGION, {
      timeoutMs: cfg.PERSONALIZE_EVENTS_TIMEOUT_MS,
      maxAttempts: 2,
    })
  : undefined;
const eventTypeMapping = parseEventTypeMapping(cfg.EVENT_TYPE_MAPPING);
const eventExport = buildEventExport(cfg);
// bodies beyond the bound get 413 before they are parsed
const boundedHandler = httpHandlerWith({ maxBodyBytes: cfg.EVENTS_MAX_BODY_BYTES });
const sessionOwners = new SessionOwners();

/**
 * POST /events: {userId?, sessionId, eventList[1..10]} (Personalize PutEvents shape: an anonymous visitor
 * sends the sessionId alone); idempotent per eventId.
 */
export const handler = boundedHandler(async (event: HttpEvent) => {
  const body = parseJsonBody(event);
  const result = await ingestEvents(
    {
      events: container.events,
      eventExport,
      eventTracker,
      eventTypeMapping,
      sessionOwners,
      maxSkewMs: cfg.EVENT_MAX_SKEW_SECONDS * 1000,
      retentionMs: cfg.EVENT_TTL_DAYS * 86_400_000,
      onTrackerError: (err) => {
        // the events are stored; Personalize just learns them later (next import)
        logger.warn('personalize PutEvents failed', { error: err as Error });
        metrics.addMetric('trackerFailed', MetricUnit.Count, 1);
      },
    },
    body,
  );
  metrics.addMetric('eventsStored', MetricUnit.Count, result.stored);
  if (result.duplicates.length > 0)
    metrics.addMetric('eventsDuplicate', MetricUnit.Count, result.duplicates.length);
  return json(200, result);
});
