import { DependencyError } from '../domain/errors.js';

/** How long the CLI waits for one API answer. */
export const API_TIMEOUT_MS = 30_000;

/**
 * fetch for CLI commands that call a running API: an unreachable or silent server becomes one DependencyError
 * naming the URL and what to check, instead of undici's bare "TypeError: fetch failed".
 */
export async function fetchApi(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(API_TIMEOUT_MS) });
  } catch (err) {
    const origin = new URL(url).origin;
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError')
      throw new DependencyError('api', `${origin} did not answer within ${API_TIMEOUT_MS / 1000} s`);
    const why = e.cause?.code ?? e.message;
    throw new DependencyError(
      'api',
      `cannot reach ${origin} (${why}): is the API running (npm start prints its URL)? check --api`,
    );
  }
}
