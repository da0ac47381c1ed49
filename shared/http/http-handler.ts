import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DomainError, ValidationError } from '../domain/errors.js';
import { logger, metrics } from '../observability/powertools.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** A JSON response with the API's standard headers. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The one place errors become HTTP: a DomainError keeps its status and code, anything else is a 500
 * whose details stay in the logs. Bodies are always `{ "code", "message" }`.
 */
export function httpErrors(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    name: 'httpErrors',
    onError: async (request) => {
      const err = request.error;
      if (err instanceof DomainError) {
        if (err.status >= 500) logger.error('dependency failure', { error: err });
        else logger.info('request rejected', { code: err.code, message: err.message });
        request.response = json(err.status, { code: err.code, message: err.message });
        return;
      }
      logger.error('unhandled error', { error: err as Error });
      metrics.addMetric('unhandledError', MetricUnit.Count, 1);
      request.response = json(500, { code: 'InternalError', message: 'internal error' });
    },
  };
}

/** Wraps an API Gateway (HTTP API, payload v2) handler with logging, metrics and error mapping. */
export function httpHandler(fn: (event: HttpEvent, context: Context) => Promise<HttpResult>) {
  return middy<HttpEvent, HttpResult>(fn)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(httpErrors());
}

/** The request body parsed as JSON (base64 bodies decoded); a ValidationError naming `body` otherwise. */
export function parseJsonBody(event: HttpEvent): unknown {
  try {
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : event.body;
    return JSON.parse(text ?? '');
  } catch {
    throw new ValidationError('the body must be valid JSON', 'body');
  }
}
