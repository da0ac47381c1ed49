import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** A route's authorizer: a named one of `provider.httpApi.authorizers`, or IAM. */
export type RouteAuthorizer = { name: string } | { type: 'aws_iam' };

/** One function of serverless.yml, as far as the local adapters read it. */
export interface ServerlessFunction {
  handler: string;
  events?: { httpApi?: { method: string; path: string; authorizer?: RouteAuthorizer } | string }[];
}

/** One `provider.httpApi.authorizers` entry (a Lambda `request` authorizer). */
export interface HttpApiAuthorizerDecl {
  type: string;
  functionName: string;
  identitySource: string | string[];
  enableSimpleResponses?: boolean;
  /** How long API Gateway caches a result per identity (0 or absent: the authorizer runs every time). */
  resultTtlInSeconds?: number;
}

/** `provider.httpApi.cors`; list values may be `${param:name}`. */
export interface HttpApiCorsDecl {
  allowedOrigins: string[] | string;
  allowedHeaders?: string[];
  allowedMethods?: string[];
  maxAge?: number;
}

/** The parts of serverless.yml the local adapters read. */
export interface ServerlessYml {
  functions?: Record<string, ServerlessFunction>;
  provider?: {
    httpApi?: { cors?: HttpApiCorsDecl | boolean; authorizers?: Record<string, HttpApiAuthorizerDecl> };
  };
  params?: Record<string, Record<string, unknown>>;
}

/**
 * Resolves a `${param:name}` or `${param:name, default}` value as the framework does: the stage's
 * params, then `params.default`; any other value is returned as it is.
 */
export function resolveParam(doc: ServerlessYml, value: unknown, stage: string): unknown {
  if (typeof value !== 'string') return value;
  const m = /^\$\{param:([A-Za-z0-9_-]+)(?:,\s*'?([^']*)'?)?\}$/.exec(value);
  if (!m) return value;
  const [, name, fallback] = m;
  const own = (o: Record<string, unknown> | undefined) => (o && Object.hasOwn(o, name) ? o[name] : undefined);
  const found =
    own(doc.params && Object.hasOwn(doc.params, stage) ? doc.params[stage] : undefined) ??
    own(doc.params?.default) ??
    fallback;
  if (found === undefined)
    throw new Error(`serverless.yml: \${param:${name}} has no value for stage ${stage}`);
  return found;
}

/**
 * Parses `<root>/serverless.yml`, the one source of truth for functions and routes shared with the
 * deploy.
 */
export function readServerlessYml(root: string): ServerlessYml {
  // serverless.yml uses CloudFormation tags (!Ref, !GetAtt...); keep them as plain values
  return parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), {
    customTags: ['!Ref', '!GetAtt', '!Sub', '!Join', '!If', '!Equals', '!Not', '!Select', '!Split'].map(
      (tag) => ({
        tag,
        resolve: (v: unknown) => v,
      }),
    ) as never,
  }) as ServerlessYml;
}

/** Splits a handler string like `functions/api/health.handler` into module path and export name. */
export function splitHandler(handler: string): { module: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  return { module: handler.slice(0, dot), exportName: handler.slice(dot + 1) };
}
