import type * as z from 'zod/mini';
import { parseOptions } from './option-schemas.js';

/**
 * Parses a trainer's options with its strict schema (a ValidationError names the bad key, e.g.
 * `ease.lambda`) and fills the keys left out from `defaults`; a key given as undefined keeps its default.
 */
export function resolveOptions<D extends object, O extends Partial<D>>(
  algorithm: string,
  schema: z.core.$ZodType<O>,
  raw: unknown,
  defaults: D,
): D & O {
  const parsed = parseOptions(schema, raw, algorithm);
  const out = { ...defaults } as D & O;
  for (const [k, v] of Object.entries(parsed)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
