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

/** Matches a concrete path against a route template like /users/{userId}/recommendations. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split('/');
  const p = path.split('/');
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const seg = t[i];
    if (seg.startsWith('{') && seg.endsWith('}')) {
      if (p[i] === '') return undefined;
      try {
        params[seg.slice(1, -1)] = decodeURIComponent(p[i]);
      } catch {
        return undefined;
      }
    } else if (seg !== p[i]) {
      return undefined;
    }
  }
  return params;
}
