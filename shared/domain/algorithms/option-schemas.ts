/**
 * Strict zod schemas of the trainers' options (registry.ts attaches one per algorithm). Every key is
 * optional (the trainers keep their defaults); an unknown or mistyped key is an error naming it, so
 * `{fm: {epoch: 5}}` fails the nightly Prepare step instead of silently training the default 40 epochs.
 * Range checks beyond types stay in the trainers, which know their defaults.
 */
import * as z from 'zod/mini';
import '../../config/zod-messages.js';
import { ValidationError } from '../errors.js';

const num = () => z.optional(z.number());
const int = () => z.optional(z.int());
const bool = () => z.optional(z.boolean());

/**
 * Event weights by event type name: checked in place (never rebuilt into a new plain object, whose keys
 * would be the caller's strings) and passed through as given.
 */
export const eventWeightsSchema = z.custom<Readonly<Record<string, number>>>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((w) => typeof w === 'number' && Number.isFinite(w)),
  { message: 'expected an object of event type → finite number' },
);

export const itemCfOptionsSchema = z.strictObject({
  neighbours: int(),
  shrink: num(),
  alpha: num(),
  simExponent: num(),
  userWeighting: z.optional(z.enum(['none', 'idf', 'bm25'])),
  bm25K1: num(),
  bm25B: num(),
  pruneBy: z.optional(z.enum(['source', 'target'])),
  normalizeRows: bool(),
  eventWeights: z.optional(eventWeightsSchema),
  halfLifeDays: num(),
});

export const fmOptionsSchema = z.strictObject({
  factors: int(),
  loss: z.optional(z.enum(['warp-batch', 'warp', 'bpr'])),
  poolSize: int(),
  poolUpdates: z.optional(z.enum(['all', 'one'])),
  optimizer: z.optional(z.enum(['adagrad', 'adam'])),
  learningRate: num(),
  learningRateDecay: num(),
  l2: num(),
  biasL2: num(),
  maxSampled: int(),
  margin: num(),
  epochs: int(),
  patience: int(),
  minImprovement: num(),
  validationFraction: num(),
  validationHoldout: z.optional(z.enum(['random', 'recent'])),
  validationMetric: z.optional(z.enum(['precision', 'auc'])),
  validationUsers: int(),
  refit: bool(),
  userAttributes: bool(),
  itemAttributes: bool(),
  attributeWeight: num(),
  popularityNegatives: num(),
  popularityExponent: num(),
  eventWeights: z.optional(eventWeightsSchema),
  initStd: num(),
  finetuneEpochs: int(),
  historyFeatures: bool(),
  historyWeight: num(),
  parameterEma: num(),
  members: int(),
  threads: int(),
});

export const popularityOptionsSchema = z.strictObject({
  eventWeights: z.optional(eventWeightsSchema),
  halfLifeDays: num(),
  now: num(),
  segmentColumns: z.optional(z.array(z.string())),
  minSupport: int(),
  listSize: int(),
  globalListSize: int(),
  itemColumns: z.optional(z.array(z.string())),
  countUsersOnce: bool(),
});

export const sessionOptionsSchema = z.strictObject({
  recentEvents: int(),
  sessionGapMinutes: num(),
  window: int(),
  windowDecay: num(),
  positionDecay: num(),
  transitionWeight: num(),
  transitionShrink: num(),
  neighbours: int(),
  cf: z.optional(itemCfOptionsSchema),
  eventWeights: z.optional(eventWeightsSchema),
});

/**
 * Parses `value` with `schema`; the ValidationError names the first bad key as `<prefix>.<path>` (e.g.
 * `trainOptions.fm.epoch`) and, for an unknown key, the keys the schema allows.
 */
export function parseOptions<O>(schema: z.core.$ZodType<O>, value: unknown, prefix: string): O {
  const result = z.safeParse(schema, value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [prefix, ...issue.path.map(String)];
  if (issue.code === 'unrecognized_keys') {
    const at = [...path, issue.keys[0]].join('.');
    const allowed = allowedKeys(schema, issue.path);
    throw new ValidationError(
      `${at}: unknown option${allowed ? `; allowed: ${allowed.join(', ')}` : ''}`,
      at,
    );
  }
  const at = path.join('.');
  throw new ValidationError(`${at}: ${issue.message}`, at);
}

/** The keys an object schema (or the object schema at `path` inside it) declares. */
function allowedKeys(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let shape = shapeOf(schema);
  for (const key of path) {
    const next = shape && typeof key === 'string' && Object.hasOwn(shape, key) ? shape[key] : undefined;
    shape = next ? shapeOf(next) : undefined;
  }
  return shape ? Object.keys(shape) : undefined;
}

/** The object shape under optional/default wrappers, if `s` is an object schema. */
function shapeOf(s: z.core.$ZodType): Record<string, z.core.$ZodType> | undefined {
  let def = s._zod.def as { innerType?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType> };
  while (def.innerType) def = def.innerType._zod.def as typeof def;
  return def.shape;
}
