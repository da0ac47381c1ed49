/** The one rule for every id the API accepts (user, item, event, session, recommendation ids, NG items). */

/** Longest id, as Amazon Personalize allows. */
export const MAX_ID_LENGTH = 256;

// Control characters (C0, DEL, C1) never belong in an id and break logs and keys.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// What String.prototype.isWellFormed (ES2024) rejects: with the u flag a valid pair is one code point,
// so only an unpaired surrogate matches. Such ids become U+FFFD in UTF-8 (DynamoDB, logs, Personalize),
// and two different ids would collapse into one stored id.
const LONE_SURROGATE = /\p{Cs}/u;

/** Why `value` is not an acceptable id (to follow the parameter's name in a message), or undefined. */
export function idProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_ID_LENGTH) return `must be at most ${MAX_ID_LENGTH} characters`;
  if (CONTROL.test(value)) return 'must not contain control characters';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (it holds a lone UTF-16 surrogate)';
  return undefined;
}
