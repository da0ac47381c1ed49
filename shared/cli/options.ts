import { ValidationError } from '../domain/errors.js';

/** Parses an integer CLI option within [min, max]; the error names the option. */
export function intOption(value: string, name: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value.trim()))
    throw new ValidationError(`${name} must be an integer, got '${value}'`, name);
  const n = Number(value);
  if (n < min || n > max)
    throw new ValidationError(`${name} must be between ${min} and ${max}, got ${n}`, name);
  return n;
}
