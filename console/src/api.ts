/** The API the console reads: same origin, the admin token (locally) as a Bearer header. */

const TOKEN_KEY = 'osusume-admin-token';

const APP_KEY = 'osusume-app-key';

/**
 * Takes `#token=…&appKey=…` from the URL npm start prints (a fragment never reaches a server or a log) into this
 * tab: the admin token for the admin routes, the app key for the app routes (similar items, bought together).
 */
export function adoptTokenFromUrl(): void {
  const token = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  const appKey = /(?:^#|&)appKey=([^&]+)/.exec(location.hash);
  if (!token && !appKey) return;
  if (token) sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(token[1]));
  if (appKey) sessionStorage.setItem(APP_KEY, decodeURIComponent(appKey[1]));
  history.replaceState(null, '', `${location.pathname}#/overview`);
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function hasToken(): boolean {
  return !!sessionStorage.getItem(TOKEN_KEY);
}

/** An API answer other than 2xx: its `{code, message}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Calls a route of this API and parses its JSON (undefined for 204): admin routes with the admin token, app
 * routes (`app`) with the app key.
 */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; app?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  const appKey = sessionStorage.getItem(APP_KEY);
  if (init.app && appKey) headers['x-api-key'] = appKey;
  if (token && (!init.app || !appKey)) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: { code?: string; message?: string } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok)
    throw new ApiError(res.status, body?.code ?? 'Error', body?.message ?? `${res.status} from ${path}`);
  return body as T;
}

/** A route's answer, or undefined when this API has no such route (a 404 "no route"; an older stage). */
export async function optionalRoute<T>(path: string, init: { app?: boolean } = {}): Promise<T | undefined> {
  try {
    return await api<T>(path, init);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && /no route/.test(err.message)) return undefined;
    throw err;
  }
}
