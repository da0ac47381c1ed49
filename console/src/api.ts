/** The API the console reads: same origin, the admin token (locally) as a Bearer header. */

const TOKEN_KEY = 'osusume-admin-token';

/** Takes `#token=…` from the URL npm start prints (a fragment never reaches a server or a log) into this tab. */
export function adoptTokenFromUrl(): void {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
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

/** Calls a route of this API and parses its JSON (undefined for 204). */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
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

/** Whether a route exists (a newer API may add routes this build can show; 404 NotFound means absent). */
export async function routeExists(path: string): Promise<boolean> {
  try {
    await api(path);
    return true;
  } catch (err) {
    return !(err instanceof ApiError && err.status === 404 && /no route/.test(err.message));
  }
}
