import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Process-wide Powertools instances: structured JSON logs and EMF metrics. The Tracer lives in
 * tracer.ts so that request-path bundles, which must stay small, do not pull in the X-Ray SDK.
 */
export const logger = new Logger({ serviceName: 'osusume' });
export const metrics = new Metrics({ namespace: 'osusume', serviceName: 'osusume' });
