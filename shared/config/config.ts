import { z } from 'zod';

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== ''),
);

/** Environment schema: read once, validated; a missing required variable fails at start with its name. */
const schema = z.object({
  OSUSUME_STAGE: z.string().min(1).default('local'),
  AWS_REGION: z.string().min(1).default('ap-northeast-1'),
  /** Set locally to the embedded DynamoDB (dynalite); unset on AWS. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  TABLE_RECOMMENDATIONS: z.string().min(3),
  TABLE_STATE: z.string().min(3),
  TABLE_NG_ITEMS: z.string().min(3),
  TABLE_USERS: z.string().min(3),
  TABLE_EVENTS: z.string().min(3),
  /** Results per request when numResults is absent. */
  DEFAULT_NUM_RESULTS: z.coerce.number().int().min(1).max(500).default(25),
  /** How long the request Lambda caches the NG list, the version pointers and popularity lists. */
  NG_CACHE_TTL_SECONDS: z.coerce.number().min(0).default(30),
  POINTER_CACHE_TTL_SECONDS: z.coerce.number().min(0).default(60),
  /** Bearer token for admin routes when no Lambda authorizer is in front (local). */
  OSUSUME_ADMIN_TOKEN: z.string().min(16).optional(),
  /** Retention of published versions (DynamoDB TTL), days. */
  VERSION_RETENTION_DAYS: z.coerce.number().min(1).default(7),
  /** Columns of users.csv used as segments for popularity, in back-off priority order (empty = all). */
  SEGMENT_COLUMNS: csv.default([]),
});

export type Config = z.infer<typeof schema>;

/** Thrown when the environment does not satisfy the schema; the message names every bad variable. */
export class ConfigError extends Error {}

/** Parses and validates an environment (defaults to process.env). */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return result.data;
}

let cached: Config | undefined;

/** The process-wide configuration, read once. */
export function config(): Config {
  cached ??= parseConfig();
  return cached;
}

/** Environment variables holding physical table names, per logical table of shared/adapters/dynamodb/tables.ts. */
export const TABLE_ENV = {
  recommendations: 'TABLE_RECOMMENDATIONS',
  state: 'TABLE_STATE',
  ngItems: 'TABLE_NG_ITEMS',
  users: 'TABLE_USERS',
  events: 'TABLE_EVENTS',
} as const;
