import type { Context } from 'aws-lambda';
import { logger } from '../observability/powertools.js';
import { tracer } from '../observability/tracer.js';

/**
 * Wraps a pipeline step as a Lambda handler for a Step Functions Task state: structured logs of start,
 * end and duration, an X-Ray annotation, and errors rethrown unchanged so their `name` is the error
 * Step Functions matches in Retry/Catch (e.g. DataError, ValidationError, ConflictError).
 */
export function taskHandler<E, R>(task: string, run: (event: E) => Promise<R>) {
  return async (event: E, context?: Context): Promise<R> => {
    if (context) logger.addContext(context);
    tracer.putAnnotation('task', task);
    const t0 = performance.now();
    logger.info('task started', { task });
    try {
      const out = await run(event);
      logger.info('task succeeded', { task, ms: Math.round(performance.now() - t0) });
      return out;
    } catch (err) {
      logger.error('task failed', { task, ms: Math.round(performance.now() - t0), error: err as Error });
      throw err;
    }
  };
}
