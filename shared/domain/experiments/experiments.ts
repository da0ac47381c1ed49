import * as z from 'zod/mini';
import '../../config/zod-messages.js';
import { ALGORITHM_INDEX } from '../algorithms/served-algorithms.js';
import { ValidationError } from '../errors.js';

/**
 * Algorithms an arm can serve from: every registry entry the nightly scores per user, `personalize`
 * (Amazon Personalize or its local stand-in), `popularity` and `auto` (the champion the last published
 * nightly run chose on validation).
 */
export const ARM_ALGORITHMS: readonly [string, ...string[]] = [
  ...ALGORITHM_INDEX.filter((a) => a.scoredPerUser).map((a) => a.name),
  'personalize',
  'popularity',
  'auto',
] as readonly string[] as readonly [string, ...string[]];
export type ArmAlgorithm = string;

/**
 * Whether a slot may show the items of the visitor's current session: `allow` (reminders compete with new
 * items on their score), `exclude` (discovery only: no list position, fallback included, shows them).
 */
export const REPEAT_POLICIES = ['allow', 'exclude'] as const;
export type RepeatPolicy = (typeof REPEAT_POLICIES)[number];
/** The policy of a slot that does not set one. */
export const DEFAULT_REPEAT_POLICY: RepeatPolicy = 'allow';

const armSchema = z.object({
  name: z.string().check(z.minLength(1), z.maxLength(64)),
  algorithm: z.enum(ARM_ALGORITHMS),
  weight: z.number().check(z.positive()),
});

// strict: a misspelt option (`repeats`) is an error, not a silently ignored key
const slotSchema = z.strictObject({
  /** Experiment name; changing it (or the salt) reshuffles users. */
  experiment: z.string().check(z.minLength(1)),
  salt: z.string().check(z.minLength(1)),
  arms: z.array(armSchema).check(z.minLength(1)),
  /** The slot's repeat policy (default `allow`); a request may override it with `repeat=`. */
  repeat: z.optional(z.enum(REPEAT_POLICIES)),
});

/** Experiments per slot (`home`, `cart`, ...); `defaultSlot` answers requests without `slot`. */
export const experimentConfigSchema = z
  .object({
    defaultSlot: z.string().check(z.minLength(1)),
    slots: z.record(z.string().check(z.minLength(1)), slotSchema),
  })
  .check(
    z.refine((c) => Object.hasOwn(c.slots, c.defaultSlot), { message: 'defaultSlot must be one of slots' }),
    z.refine(
      (c) => Object.values(c.slots).every((s) => new Set(s.arms.map((a) => a.name)).size === s.arms.length),
      { message: 'arm names must be unique within a slot' },
    ),
  );

export type ExperimentConfig = z.infer<typeof experimentConfigSchema>;
export type Arm = z.infer<typeof armSchema>;

/** What `npm start` runs: every arm at equal weight on the `home` slot. */
export const DEFAULT_EXPERIMENTS: ExperimentConfig = {
  defaultSlot: 'home',
  slots: {
    home: {
      experiment: 'home-2026-11',
      salt: 'osusume-home-1',
      arms: [
        { name: 'cf', algorithm: 'cf', weight: 1 },
        { name: 'fm', algorithm: 'fm', weight: 1 },
        { name: 'personalize', algorithm: 'personalize', weight: 1 },
        { name: 'session', algorithm: 'session', weight: 1 },
      ],
    },
  },
};

/** Parses the EXPERIMENTS JSON (config); errors name the problem. */
export function parseExperimentConfig(json: string | undefined): ExperimentConfig {
  if (json === undefined || json.trim() === '') return DEFAULT_EXPERIMENTS;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ValidationError(`EXPERIMENTS is not valid JSON: ${(err as Error).message}`, 'EXPERIMENTS');
  }
  const r = experimentConfigSchema.safeParse(raw);
  if (!r.success) {
    throw new ValidationError(
      `EXPERIMENTS is invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      'EXPERIMENTS',
    );
  }
  return r.data;
}

/** 32-bit FNV-1a over UTF-16 code units: fast, stable across runtimes, good enough spread for bucketing. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // final avalanche (murmur3 fmix32) so that similar ids land far apart
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Deterministically assigns a user to an arm of a slot's experiment: hash(userId, salt) into the
 * cumulative arm weights. The same user always lands in the same arm until the experiment's salt or
 * arms change.
 */
export function assignArm(slot: ExperimentConfig['slots'][string], userId: string): Arm {
  const total = slot.arms.reduce((s, a) => s + a.weight, 0);
  const u = (fnv1a(`${slot.salt}:${userId}`) / 4294967296) * total;
  let acc = 0;
  for (const arm of slot.arms) {
    acc += arm.weight;
    if (u < acc) return arm;
  }
  return slot.arms[slot.arms.length - 1];
}
