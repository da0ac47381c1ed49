import * as z from 'zod/mini';
import '../../../config/zod-messages.js';
import { ValidationError } from '../../errors.js';
import type { SessionKnnParams } from './session-knn.js';
import type { SessionKnnSettings } from './train.js';

const num = (min: number, max: number) => z.optional(z.number().check(z.gte(min), z.lte(max)));
const int = (min: number, max: number) => z.optional(z.int().check(z.gte(min), z.lte(max)));

const PARAM_SHAPE = {
  k: int(1, 100_000),
  sampleSize: int(1, 1_000_000),
  spwLambda: num(0, 1e6),
  snhDays: num(0, 1e6),
  inhLambda: num(0, 1e6),
  ipwLambda: num(0, 1e6),
  beforeWeight: num(0, 1),
  idfWeight: num(0, 1e3),
  srWeight: num(0, 1),
  srDecay: num(0, 1),
};

/**
 * Options of `session-knn` (strict: an unknown or mistyped key is a ValidationError naming it). The
 * parameters searched by the tuner may be fixed here; a fixed one is not searched. `start` holds
 * parameters a previous search chose (the nightly passes them on nights not due for tuning): training
 * starts from them instead of the defaults, and they are not fixed, so the serving bound still applies.
 */
export const SESSION_KNN_OPTIONS = z.strictObject({
  ...PARAM_SHAPE,
  start: z.optional(z.strictObject(PARAM_SHAPE)),
  sessionGapMinutes: z.optional(z.number().check(z.gt(0), z.lte(1e6))),
  maxSessionsPerItem: int(1, 1_000_000),
  maxSessionLength: int(2, 10_000),
  srSteps: int(1, 100),
  srPrune: int(1, 10_000),
  tuneBudget: int(0, 1000),
  validationShare: z.optional(z.number().check(z.gt(0), z.lt(1))),
  validationTargets: int(1, 10_000_000),
  recentEvents: int(1, 10_000),
  servingWorkBudget: int(0, 1_000_000_000),
});

export type SessionKnnOptions = z.infer<typeof SESSION_KNN_OPTIONS>;

const PARAM_KEYS: readonly (keyof SessionKnnParams)[] = [
  'k',
  'sampleSize',
  'spwLambda',
  'snhDays',
  'inhLambda',
  'ipwLambda',
  'beforeWeight',
  'idfWeight',
  'srWeight',
  'srDecay',
];

/** Splits validated options into the fixed parameters and the settings (`start` among them). */
export function splitSessionKnnOptions(options: SessionKnnOptions): {
  params: Partial<SessionKnnParams>;
  settings: Partial<SessionKnnSettings>;
} {
  const params: Record<string, number> = {};
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if ((PARAM_KEYS as readonly string[]).includes(key)) params[key] = value as number;
    else settings[key] = value;
  }
  return { params: params as Partial<SessionKnnParams>, settings: settings as Partial<SessionKnnSettings> };
}

/** Validates raw options (ValidationError naming the key) and splits them as {@link splitSessionKnnOptions}. */
export function parseSessionKnnOptions(raw: unknown): {
  params: Partial<SessionKnnParams>;
  settings: Partial<SessionKnnSettings>;
} {
  const r = SESSION_KNN_OPTIONS.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const key =
      issue.code === 'unrecognized_keys' ? String(issue.keys[0]) : String(issue.path[0] ?? 'options');
    const why = issue.code === 'unrecognized_keys' ? 'unknown option' : issue.message;
    throw new ValidationError(`session-knn option ${key}: ${why}`, key);
  }
  return splitSessionKnnOptions(r.data);
}
