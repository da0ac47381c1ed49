import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ValidationError } from '../../domain/errors.js';
import { logger } from '../../observability/powertools.js';
import { readGateway } from './gateway.js';
import { handlerModuleUrl } from './repo-root.js';
import { matchPath, type RouteDecl, readRoutes } from './routes.js';

type LambdaHttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

// API Gateway's own limit; routes bound their bodies further in the handlers (413 from bodyLimit)
const MAX_BODY = 10 * 1024 * 1024;

/**
 * A small local stand-in for API Gateway (HTTP API, payload format 2.0): it turns each HTTP request
 * into the same event Lambda receives and calls the very handler modules that serverless.yml
 * deploys. Chosen over serverless-offline because it starts in milliseconds in-process (sharing the
 * embedded DynamoDB) and needs no child processes or rebuilds.
 */
export async function startHttpServer(options: {
  root: string;
  port: number;
  host?: string;
  /** Stage whose serverless.yml params apply (CORS origins); default `local`. */
  stage?: string;
}): Promise<{ server: Server; url: string; routes: RouteDecl[]; close: () => Promise<void> }> {
  const routes = readRoutes(options.root);
  const handlers = new Map<string, LambdaHttpHandler>();
  const load = async (r: RouteDecl): Promise<LambdaHttpHandler> => {
    let h = handlers.get(r.functionName);
    if (!h) {
      const mod = (await import(handlerModuleUrl(options.root, r.module))) as Record<string, unknown>;
      h = mod[r.exportName] as LambdaHttpHandler;
      handlers.set(r.functionName, h);
    }
    return h;
  };
  // load every handler up front so the first request does not pay module init
  await Promise.all(routes.map(load));
  const gateway = await readGateway(options.root, options.stage ?? 'local');

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // as in the Lambda middleware: details to the log, never into the body
      logger.error('local API Gateway: unhandled error', { error: err as Error });
      if (!res.headersSent) send(res, json(500, { code: 'InternalError', message: 'internal error' }));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseTarget(req.url);
    if (!url) {
      send(
        res,
        json(400, {
          code: 'ValidationError',
          message: 'malformed request target: expected an origin-form /path?query',
        }),
      );
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    // API Gateway answers CORS preflights itself, before routes and authorizers
    if (method === 'OPTIONS' && origin && req.headers['access-control-request-method']) {
      send(res, { statusCode: 204, headers: gateway.cors.preflight(origin), body: '' });
      return;
    }
    const cors = gateway.cors.headers(origin);
    let route: RouteDecl | undefined;
    let params: Record<string, string> | undefined;
    try {
      for (const r of routes) {
        if (r.method !== method && r.method !== 'ANY') continue;
        params = matchPath(r.path, url.pathname);
        if (params) {
          route = r;
          break;
        }
      }
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      send(res, json(400, { code: err.code, message: err.message }, cors));
      return;
    }
    if (!route || !params) {
      send(res, json(404, { code: 'NotFound', message: `no route for ${method} ${url.pathname}` }, cors));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) {
        send(res, json(413, { code: 'PayloadTooLarge', message: `body exceeds ${MAX_BODY} bytes` }, cors));
        return;
      }
      chunks.push(c as Buffer);
    }
    const event = toEvent(req, url, method, route, params, Buffer.concat(chunks).toString('utf8'));
    const decision = await gateway.authorize(route, event);
    if (!decision.ok) {
      send(res, json(decision.status, { code: decision.code, message: decision.message }, cors));
      return;
    }
    if (decision.context)
      (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: decision.context };
    const handler = await load(route);
    const result = await handler(event, lambdaContext(route.functionName));
    send(res, { ...result, headers: { ...result.headers, ...cors } });
  }

  await new Promise<void>((resolve) => server.listen(options.port, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    routes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// RFC 3986 path-absolute: "/" segments of unreserved, sub-delims, ":" "@" or %XX. A target starting with
// "//" would read as an authority (the host and port of `//a:99999/health`), so it is malformed too.
const ORIGIN_FORM_PATH = /^\/(?!\/)(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;

/** The request target (origin-form only, as API Gateway serves) as a URL, or undefined when malformed. */
function parseTarget(target: string | undefined): URL | undefined {
  if (target === undefined) return undefined;
  const q = target.indexOf('?');
  if (!ORIGIN_FORM_PATH.test(q < 0 ? target : target.slice(0, q))) return undefined;
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return undefined;
  }
}

function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const body = result.body ?? '';
  res.writeHead(result.statusCode ?? 200, {
    ...(result.headers as Record<string, string>),
    'content-length': Buffer.byteLength(body, result.isBase64Encoded ? 'base64' : 'utf8'),
  });
  res.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  route: RouteDecl,
  pathParameters: Record<string, string>,
  body: string,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  // API Gateway v2 joins repeated query parameters with commas; a Map, since the names are the client's
  // (`constructor` must not find Object.prototype's)
  const joined = new Map<string, string>();
  for (const [k, v] of url.searchParams) {
    const prev = joined.get(k);
    joined.set(k, prev === undefined ? v : `${prev},${v}`);
  }
  const query = Object.fromEntries(joined);
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: joined.size > 0 ? query : undefined,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
    body: body === '' ? undefined : body,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
  };
}

function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
