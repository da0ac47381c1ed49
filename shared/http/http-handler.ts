import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DependencyError, DomainError, PayloadTooLargeError, ValidationError } from '../domain/errors.js';
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
 * What a caller is told about a 5xx: which dependency failed, never the SDK's text, a table name or a key
 * (those are in the log line written next to it).
 */
function publicMessage(err: DomainError): string {
  return err instanceof DependencyError ? `${err.dependency} is unavailable; retry later` : 'internal error';
}

/**
 * The one place errors become HTTP: a DomainError keeps its status and code, anything else is a 500;
 * the details of every 5xx stay in the logs. Bodies are always `{ "code", "message" }`.
 */
export function httpErrors(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    name: 'httpErrors',
    onError: async (request) => {
      const err = request.error;
      if (err instanceof DomainError) {
        if (err.status >= 500) {
          logger.error('dependency failure', { error: err });
          request.response = json(err.status, { code: err.code, message: publicMessage(err) });
          return;
        }
        // `message` is a key Powertools reserves: it would drop the reason and log a WARN about the key
        logger.info('request rejected', {
          status: err.status,
          code: err.code,
          reason: err.message,
          ...(err instanceof ValidationError && err.parameter ? { parameter: err.parameter } : {}),
        });
        // also keeps logMetrics from warning "No application metrics to publish" on every 4xx
        metrics.addMetric('rejected', MetricUnit.Count, 1);
        request.response = json(err.status, { code: err.code, message: err.message });
        return;
      }
      logger.error('unhandled error', { error: err as Error });
      metrics.addMetric('unhandledError', MetricUnit.Count, 1);
      request.response = json(500, { code: 'InternalError', message: 'internal error' });
    },
  };
}

/** Bodies of routes that set no bound of their own (admin PUT bodies are a short reason). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/** The size in bytes of an event's body, decoded when base64 (without decoding it). */
export function bodyBytes(event: HttpEvent): number {
  const body = event.body ?? '';
  if (!event.isBase64Encoded) return Buffer.byteLength(body, 'utf8');
  const pad = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0;
  return Math.floor((body.length * 3) / 4) - pad;
}

/**
 * Rejects a body over `maxBytes` with 413 before the handler parses it: API Gateway passes up to
 * 10 MB, far more than any route needs, and parsing is where a large body costs memory and time.
 */
export function bodyLimit(maxBytes: number): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    name: 'bodyLimit',
    before: async (request) => {
      if (bodyBytes(request.event) > maxBytes)
        throw new PayloadTooLargeError(`the body exceeds ${maxBytes} bytes`);
    },
  };
}

/** Wraps an API Gateway (HTTP API, payload v2) handler with logging, metrics, a body bound and error mapping. */
export function httpHandler(
  fn: (event: HttpEvent, context: Context) => Promise<HttpResult>,
  options: { maxBodyBytes?: number } = {},
) {
  return middy<HttpEvent, HttpResult>(fn)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(httpErrors())
    .use(bodyLimit(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
}

/** `httpHandler` with options, as a wrapper: `httpHandlerWith({ maxBodyBytes })(async (event) => ...)`. */
export function httpHandlerWith(options: { maxBodyBytes?: number }) {
  return (fn: (event: HttpEvent, context: Context) => Promise<HttpResult>) => httpHandler(fn, options);
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
