import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Container } from '../composition.js';
import { buildCatalogExport } from '../event-export-container.js';
import { logger, metrics } from '../observability/powertools.js';
import {
  type CatalogDeps,
  type CatalogResult,
  DatasetColumnsSource,
  type WritableProfiles,
} from '../use-cases/catalog.js';
import { type HttpEvent, httpHandler, json, parseJsonBody } from './http-handler.js';

/** Personalize's PutItems or PutUsers behind a lazily imported SDK (lazy-catalog-forwarder.ts). */
type Forwarder = (
  datasetArn: string,
  region: string,
  options: { timeoutMs: number; maxAttempts: number },
) => CatalogDeps['forward'];

/** What differs between POST /items and POST /users. */
export interface CatalogRoute {
  readonly kind: 'items' | 'users';
  /** The Personalize dataset the writes are forwarded to (none: not forwarded). */
  readonly datasetArn: string | undefined;
  readonly forwarder: Forwarder;
  readonly write: (deps: CatalogDeps, body: unknown) => Promise<CatalogResult>;
  /** The users table (POST /users): profiles apply at once. */
  readonly profiles?: WritableProfiles;
}

/**
 * POST /items or POST /users: the batch is exported for the next night and forwarded to Personalize when
 * configured. The forwarder and the use case come from the route's own module, so each function's call
 * graph (and IAM) holds only its own Put command.
 */
export function catalogWriteHandler(container: Container, route: CatalogRoute) {
  const cfg = container.config;
  const Kind = route.kind === 'items' ? 'Items' : 'Users';
  // only the POST functions export or forward writes: kept out of the shared container
  const deps: CatalogDeps = {
    columns: new DatasetColumnsSource(container.state, cfg.POINTER_CACHE_TTL_SECONDS * 1000),
    export: buildCatalogExport(cfg, route.kind),
    forward: route.datasetArn
      ? route.forwarder(route.datasetArn, cfg.AWS_REGION, {
          timeoutMs: cfg.PERSONALIZE_EVENTS_TIMEOUT_MS,
          maxAttempts: 2,
        })
      : undefined,
    ...(route.profiles ? { profiles: route.profiles } : {}),
    onForwardError: (err) => {
      // the batch is exported (and profiles stored); Personalize learns it with the next import
      logger.warn(`personalize Put${Kind} failed`, { error: err as Error });
      metrics.addMetric(`put${Kind}ForwardFailed`, MetricUnit.Count, 1);
    },
  };
  return httpHandler(async (event: HttpEvent) => {
    const result = await route.write(deps, parseJsonBody(event));
    metrics.addMetric(`${route.kind}Written`, MetricUnit.Count, result.received);
    return json(200, result);
  });
}
