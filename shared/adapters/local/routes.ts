import { ValidationError } from '../../domain/errors.js';
import { type RouteAuthorizer, readServerlessYml, splitHandler } from './serverless-yml.js';

/** One HTTP API route as declared in serverless.yml. */
export interface RouteDecl {
  readonly functionName: string;
  readonly method: string;
  readonly path: string;
  /** Module path relative to the repo root, without extension, e.g. functions/api/health. */
  readonly module: string;
  readonly exportName: string;
  /** The route's authorizer as declared (absent = public). */
  readonly authorizer?: RouteAuthorizer;
}

/**
 * Reads the httpApi routes from serverless.yml, so the local server serves exactly what API Gateway
 * would (one source of truth for routes).
 */
export function readRoutes(root: string): RouteDecl[] {
  const doc = readServerlessYml(root);
  const routes: RouteDecl[] = [];
  for (const [functionName, fn] of Object.entries(doc.functions ?? {})) {
    const { module, exportName } = splitHandler(fn.handler);
    for (const ev of fn.events ?? []) {
      if (!ev.httpApi) continue;
      const { method, path, authorizer } =
        typeof ev.httpApi === 'string'
          ? { method: ev.httpApi.split(' ')[0], path: ev.httpApi.split(' ')[1], authorizer: undefined }
          : ev.httpApi;
      routes.push({
        functionName,
        method: method.toUpperCase(),
        path,
        module,
        exportName,
        authorizer,
      });
    }
  }
  return routes;
}

/**
 * Matches a concrete path against a route template like /users/{userId}/recommendations. A parameter
 * that is not percent-encoded UTF-8 (`%FF`, `%ED%A0%80`: a lone surrogate's bytes) is a ValidationError
 * naming it, as the id rule would reject what it could only decode to.
 */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split('/');
  const p = path.split('/');
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const seg = t[i];
    if (seg.startsWith('{') && seg.endsWith('}')) {
      if (p[i] === '') return undefined;
      const name = seg.slice(1, -1);
      try {
        params[name] = decodeURIComponent(p[i]);
      } catch {
        if (!matchesRest(t, p, i + 1)) return undefined;
        throw new ValidationError(`${name} is not percent-encoded UTF-8`, name);
      }
    } else if (seg !== p[i]) {
      return undefined;
    }
  }
  return params;
}

/** Whether the literal segments of `template` from `from` on equal those of `path` (parameters match anything). */
function matchesRest(template: readonly string[], path: readonly string[], from: number): boolean {
  for (let i = from; i < template.length; i++) {
    const seg = template[i];
    if (!(seg.startsWith('{') && seg.endsWith('}')) && seg !== path[i]) return false;
  }
  return true;
}
