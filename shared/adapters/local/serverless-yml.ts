import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** One function of serverless.yml, as far as the local adapters read it. */
export interface ServerlessFunction {
  handler: string;
  events?: { httpApi?: { method: string; path: string } | string }[];
}

/** The parts of serverless.yml the local adapters read. */
export interface ServerlessYml {
  functions?: Record<string, ServerlessFunction>;
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
