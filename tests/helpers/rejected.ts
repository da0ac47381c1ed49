import { ValidationError } from '../../shared/domain/errors.js';

/** The parameter named by the ValidationError that `f` throws (undefined when it does not throw). */
export function rejected(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof ValidationError) return err.parameter;
    throw err;
  }
  return undefined;
}
