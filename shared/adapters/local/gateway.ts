import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { LruCache } from '../../domain/cache.js';
import { handlerModuleUrl } from './repo-root.js';
import type { RouteDecl } from './routes.js';
import { readServerlessYml, resolveParam, splitHandler } from './serverless-yml.js';

type AuthorizerResult = { isAuthorized: boolean; context?: Record<string, unknown> };
type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEventV2) => Promise<AuthorizerResult>;

/** Identities whose authorizer result is kept at most, per authorizer (a flood of bad keys cannot grow it). */
export const AUTHORIZER_CACHE_ENTRIES = 10_000;

interface LocalAuthorizer {
  readonly identityHeaders: string[];
  readonly handler: AuthorizerHandler;
  readonly ttlMs: number;
  readonly results: LruCache<string, { readonly result: AuthorizerResult; readonly expires: number }>;
}

/** What API Gateway decided about a request before any handler runs. */
export type GatewayDecision =
  | { readonly ok: true; readonly context?: Record<string, unknown> }
  | { readonly ok: false; readonly status: 401 | 403; readonly code: string; readonly message: string };

/** The CORS headers API Gateway would add, or answer a preflight with. */
export interface LocalCors {
  /** Headers for a response to a request from `origin` (none when the origin is not allowed). */
  headers(origin: string | undefined): Record<string, string>;
  /** Headers of a preflight answer (none when the origin is not allowed). */
  preflight(origin: string | undefined): Record<string, string>;
}

/**
 * The API Gateway features of serverless.yml that the local adapter applies like the deployed HTTP API
 * does: CORS limited to `provider.httpApi.cors.allowedOrigins` (a `${param:…}` resolved per stage),
 * and the Lambda request authorizers of `provider.httpApi.authorizers`, invoked from the very handler
 * module that is deployed. A missing identity source is a 401 without calling the authorizer, a
 * `false` answer a 403, as on AWS (whose bodies are `{"message"}`; here `{code, message}`). With
 * `resultTtlInSeconds`, a result (allow or deny) is reused for that long per identity, as API Gateway
 * caches it; a failing authorizer is not cached. `now` is the clock of that cache.
 */
export async function readGateway(
  root: string,
  stage: string,
  now: () => number = Date.now,
): Promise<{
  cors: LocalCors;
  authorize(route: RouteDecl, event: APIGatewayProxyEventV2): Promise<GatewayDecision>;
}> {
  const doc = readServerlessYml(root);
  const httpApi = doc.provider?.httpApi ?? {};
  const authorizers = new Map<string, LocalAuthorizer>();
  for (const [name, decl] of Object.entries(httpApi.authorizers ?? {})) {
    if (decl.type !== 'request')
      throw new Error(`serverless.yml: authorizer ${name}: only type request is run locally`);
    const fn =
      doc.functions && Object.hasOwn(doc.functions, decl.functionName)
        ? doc.functions[decl.functionName]
        : undefined;
    if (!fn) throw new Error(`serverless.yml: authorizer ${name} names no function ${decl.functionName}`);
    const { module, exportName } = splitHandler(fn.handler);
    const mod = (await import(handlerModuleUrl(root, module))) as Record<string, unknown>;
    const identityHeaders = ([] as string[]).concat(decl.identitySource).map((s) => {
      const m = /^\$request\.header\.(.+)$/.exec(s);
      if (!m) throw new Error(`serverless.yml: authorizer ${name}: identity source ${s} is not a header`);
      return m[1].toLowerCase();
    });
    const ttl = decl.resultTtlInSeconds ?? 0;
    if (!(Number.isInteger(ttl) && ttl >= 0 && ttl <= 3600))
      throw new Error(`serverless.yml: authorizer ${name}: resultTtlInSeconds must be an integer 0..3600`);
    authorizers.set(name, {
      identityHeaders,
      handler: mod[exportName] as AuthorizerHandler,
      ttlMs: ttl * 1000,
      results: new LruCache(AUTHORIZER_CACHE_ENTRIES),
    });
  }

  const corsDecl = typeof httpApi.cors === 'object' ? httpApi.cors : undefined;
  if (httpApi.cors === true)
    throw new Error('serverless.yml: cors: true allows every origin; list allowedOrigins');
  const origins = new Set(
    corsDecl ? ([] as unknown[]).concat(resolveParam(doc, corsDecl.allowedOrigins, stage)).map(String) : [],
  );
  const cors: LocalCors = {
    headers: (origin): Record<string, string> =>
      origin && origins.has(origin) ? { 'access-control-allow-origin': origin, vary: 'origin' } : {},
    preflight: (origin): Record<string, string> =>
      origin && origins.has(origin) && corsDecl
        ? {
            'access-control-allow-origin': origin,
            'access-control-allow-methods': (corsDecl.allowedMethods ?? []).join(','),
            'access-control-allow-headers': (corsDecl.allowedHeaders ?? []).join(','),
            ...(corsDecl.maxAge !== undefined ? { 'access-control-max-age': String(corsDecl.maxAge) } : {}),
            vary: 'origin',
          }
        : {},
  };

  return {
    cors,
    async authorize(route, event) {
      const a = route.authorizer;
      if (!a || !('name' in a)) return { ok: true };
      const authorizer = authorizers.get(a.name);
      if (!authorizer)
        throw new Error(`serverless.yml: route ${route.method} ${route.path} names no authorizer ${a.name}`);
      const headers = event.headers ?? {};
      const identity = authorizer.identityHeaders.map((h) => headers[h]);
      const missing = authorizer.identityHeaders.filter((_, i) => !identity[i]);
      if (missing.length > 0)
        return {
          ok: false,
          status: 401,
          code: 'Unauthorized',
          message: `missing ${missing.join(', ')} header`,
        };
      const invoke = () =>
        authorizer.handler({
          version: '2.0',
          type: 'REQUEST',
          routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${route.method}${route.path}`,
          identitySource: identity as string[],
          routeKey: event.routeKey,
          rawPath: event.rawPath,
          rawQueryString: event.rawQueryString,
          cookies: event.cookies ?? [],
          headers,
          queryStringParameters: event.queryStringParameters ?? {},
          requestContext: event.requestContext,
          pathParameters: event.pathParameters ?? {},
          stageVariables: {},
        });
      const time = now();
      const result =
        authorizer.ttlMs > 0
          ? (
              await authorizer.results.getOrLoad(
                JSON.stringify(identity),
                async () => ({ result: await invoke(), expires: time + authorizer.ttlMs }),
                (cached) => cached.expires > time,
              )
            ).result
          : await invoke();
      if (!result.isAuthorized)
        return {
          ok: false,
          status: 403,
          code: 'Forbidden',
          message: `the ${authorizer.identityHeaders.join(', ')} header is not a valid key`,
        };
      return { ok: true, context: result.context };
    },
  };
}
