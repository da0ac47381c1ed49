import { DependencyError, DomainError } from '../../domain/errors.js';

/** Name reported in DependencyError for DynamoDB failures. */
export const DYNAMODB = 'dynamodb';

/** The SDK error name (e.g. ConditionalCheckFailedException), if `err` is an SDK error. */
export function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/**
 * Runs one DynamoDB call, turning SDK/network failures into DependencyError so callers see a typed
 * 503 rather than an SDK exception (the SDK has already retried throttling by then).
 */
export async function dynamoCall<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toDependencyError(operation, err);
  }
}

/** DomainErrors pass through; anything else becomes DependencyError('dynamodb', ...). */
export function toDependencyError(operation: string, err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  const name = errorName(err) ?? 'Error';
  const message = err instanceof Error ? err.message : String(err);
  const wrapped = new DependencyError(DYNAMODB, `${operation} failed: ${name}: ${message}`);
  (wrapped as { cause?: unknown }).cause = err;
  return wrapped;
}
