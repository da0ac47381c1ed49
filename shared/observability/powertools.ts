import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Process-wide Powertools instances: structured JSON logs and EMF metrics. The Tracer lives in
 * tracer.ts so that request-path bundles, which must stay small, do not pull in the X-Ray SDK.
 */
export const logger = new Logger({ serviceName: 'osusume' });

/**
 * Metrics' own diagnostics go through the structured logger instead of a bare console. "No application metrics
 * to publish" is the normal case of a route that records none (health, NG admin): Powertools warns about it on
 * every invocation (even with metrics disabled: 26 lines during `npm start`), so it is logged at debug.
 */
const text = (a: unknown[]) => a.map(String).join(' ');
const metricsDiagnostics = {
  debug: (...a: unknown[]) => logger.debug(text(a)),
  info: (...a: unknown[]) => logger.info(text(a)),
  warn: (...a: unknown[]) =>
    text(a).startsWith('No application metrics to publish') ? logger.debug(text(a)) : logger.warn(text(a)),
  error: (...a: unknown[]) => logger.error(text(a)),
};

export const metrics = new Metrics({
  namespace: 'osusume',
  serviceName: 'osusume',
  logger: metricsDiagnostics,
});
