import { DependencyError } from './errors.js';

/** A dependency did not answer in time (a DependencyError, so it maps to 503 like any other failure). */
export class DeadlineError extends DependencyError {
  constructor(dependency: string, ms: number) {
    super(dependency, `no answer within ${Math.max(0, Math.round(ms))} ms`);
  }
}

/**
 * Rejects with DeadlineError(dependency) when `promise` has not settled within `ms` (at once for
 * `ms <= 0`, never for Infinity); the promise itself keeps running and a late rejection is swallowed.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, dependency: string): Promise<T> {
  // no deadline (setTimeout would treat Infinity as 1 ms)
  if (!Number.isFinite(ms)) return promise;
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError(dependency, ms)), Math.max(0, ms));
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Rejects with `error()` when `over` settles before `promise`; the promise keeps running and a late
 * rejection is swallowed.
 */
export function untilOver<T>(promise: Promise<T>, over: Promise<unknown>, error: () => Error): Promise<T> {
  promise.catch(() => undefined);
  return Promise.race([
    promise,
    over.then(
      () => Promise.reject(error()),
      () => Promise.reject(error()),
    ),
  ]);
}

/**
 * A request's time budget: `over` resolves once `ms` have passed (never for Infinity); `cancel` frees
 * the timer when the request is done early.
 */
export function budget(ms: number): { over: Promise<void>; remaining: () => number; cancel: () => void } {
  const end = performance.now() + ms;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const over = Number.isFinite(ms)
    ? new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, ms)).unref();
      })
    : new Promise<void>(() => undefined);
  return { over, remaining: () => end - performance.now(), cancel: () => clearTimeout(timer) };
}
