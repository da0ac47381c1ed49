import type { z } from 'zod';
import { ValidationError } from '../errors.js';

/**
 * Parses trainer options with a strict zod schema; the first problem becomes a ValidationError naming the
 * option (`ease.lambda: ...`), so a mistyped or unknown key fails loudly instead of training the defaults.
 * `seed` is accepted and dropped: the registry passes it to every trainer.
 */
export function parseModelOptions<T>(algorithm: string, schema: z.ZodType<T>, raw: unknown): T {
  const input =
    raw !== null && typeof raw === 'object' && Object.hasOwn(raw, 'seed')
      ? Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'seed'))
      : (raw ?? {});
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const keys =
    issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map((p) => String(p)).join('.');
  const what = issue.code === 'unrecognized_keys' ? `unknown option(s) ${keys}` : `${keys}: ${issue.message}`;
  throw new ValidationError(
    `${algorithm} options: ${what}`,
    keys === '' ? algorithm : `${algorithm}.${keys}`,
  );
}

/** The `seed` the registry passes along with the options (default 42). */
export function seedOf(raw: unknown, fallback = 42): number {
  if (raw === null || typeof raw !== 'object' || !Object.hasOwn(raw, 'seed')) return fallback;
  const s = (raw as { seed?: unknown }).seed;
  return typeof s === 'number' && Number.isInteger(s) ? s : fallback;
}
