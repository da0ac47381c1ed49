import { ValidationError } from '../errors.js';

/** A validated request for one user's recommendations. */
export interface RecommendationRequest {
  readonly userId: string;
  readonly numResults: number;
}

const MAX_ID_LENGTH = 256;
// Control characters (C0, DEL, C1) never belong in an id and break logs and keys.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Validates a user or item id as Personalize does (1..256 chars, no control characters). */
export function parseId(value: string | undefined, parameter: string): string {
  if (value === undefined || value.length === 0)
    throw new ValidationError(`${parameter} is required`, parameter);
  if (value.length > MAX_ID_LENGTH)
    throw new ValidationError(`${parameter} must be at most ${MAX_ID_LENGTH} characters`, parameter);
  if (CONTROL.test(value))
    throw new ValidationError(`${parameter} must not contain control characters`, parameter);
  return value;
}

/** Parses an integer query parameter within [min, max], or returns the default when absent. */
export function parseIntParam(
  value: string | undefined,
  parameter: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined || value === '') return fallback;
  if (!/^-?\d+$/.test(value)) throw new ValidationError(`${parameter} must be an integer`, parameter);
  const n = Number(value);
  if (n < min || n > max)
    throw new ValidationError(`${parameter} must be between ${min} and ${max}`, parameter);
  return n;
}

/**
 * Builds a RecommendationRequest from path and query parameters (as API Gateway delivers them,
 * already URL-decoded); throws ValidationError naming the parameter.
 */
export function parseRecommendationRequest(
  pathUserId: string | undefined,
  query: Readonly<Record<string, string | undefined>>,
  defaultNumResults: number,
): RecommendationRequest {
  return {
    userId: parseId(pathUserId, 'userId'),
    numResults: parseIntParam(query.numResults, 'numResults', 1, 500, defaultNumResults),
  };
}
