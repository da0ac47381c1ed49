import { DeadlineError, withDeadline } from '../domain/deadline.js';
import { DependencyError } from '../domain/errors.js';
import type { PipelineStateStore } from '../ports/stores.js';
import { POPULARITY } from './popularity-source.js';

export interface HealthDeps {
  readonly state: PipelineStateStore;
}

/**
 * Readiness of the API's one required dependency: a single strongly consistent GetItem on the state
 * table (the popularity pointer every fallback needs) within `timeoutMs`. Throws DependencyError naming
 * DynamoDB when it fails or does not answer in time, so /health turns 503 while the table is frozen.
 */
export async function checkHealth(deps: HealthDeps, timeoutMs: number): Promise<{ dynamodb: 'ok' }> {
  try {
    await withDeadline(deps.state.getActiveVersion(POPULARITY), timeoutMs, 'dynamodb');
  } catch (err) {
    // the SDK's text stays in the logs; the body names the dependency and what went wrong
    throw new DependencyError(
      'dynamodb',
      err instanceof DeadlineError
        ? `the state table did not answer within ${timeoutMs} ms`
        : 'the state table read failed',
    );
  }
  return { dynamodb: 'ok' };
}
