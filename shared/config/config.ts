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
  /** Experiments per slot as JSON (see shared/domain/experiments); empty = every arm at equal weight. */
  EXPERIMENTS: z.string().optional(),
  /** Amazon Personalize campaign for the `personalize` arm; unset = the local stand-in model. */
  PERSONALIZE_CAMPAIGN_ARN: z.string().startsWith('arn:').optional(),
  PERSONALIZE_FILTER_ARN: z.string().startsWith('arn:').optional(),
  /** Hard timeout of GetRecommendations on the request path (no retries). */
  PERSONALIZE_TIMEOUT_MS: z.coerce.number().int().min(10).max(5000).default(150),
  /** How admin routes are protected: `iam` (API Gateway IAM auth on AWS) or `token` (Bearer OSUSUME_ADMIN_TOKEN). */
  ADMIN_AUTH: z.enum(['iam', 'token']).default('token'),
  /** Columns of users.csv used as segments for popularity, in back-off priority order (empty = all). */
  SEGMENT_COLUMNS: csv.default([]),
  // ---- nightly pipeline (statemachines/, functions/pipeline/) ----
  /** S3 bucket of pipeline artifacts (dataset snapshots, models) on AWS. */
  ARTIFACT_BUCKET: z.string().min(3).optional(),
  /** Local folder used instead of ARTIFACT_BUCKET (osusume pipeline run / npm start). */
  ARTIFACT_DIR: z.string().min(1).optional(),
  /** Dataset a scheduled run snapshots when its input names none (s3://bucket/prefix or a folder). */
  DATASET_URI: z.string().min(1).optional(),
  /** Users per scoring shard (one Lambda invocation each). */
  PIPELINE_SHARD_USERS: z.coerce.number().int().min(1).default(5000),
  /** Shard plans with at least this many shards are scored by the DISTRIBUTED Map. */
  PIPELINE_DISTRIBUTED_MIN_SHARDS: z.coerce.number().int().min(1).default(40),
  /** Items stored per user and algorithm. */
  PIPELINE_NUM_RESULTS: z.coerce.number().int().min(1).max(500).default(100),
  /** Share of bad CSV rows tolerated when the pipeline validates its snapshot (beyond it the run fails). */
  PIPELINE_MAX_BAD_ROW_SHARE: z.coerce.number().min(0).max(1).default(0.01),
  /** Quality gate: a new version may be worse than the active one by at most this share of its metric. */
  QUALITY_GATE_MARGIN: z.coerce.number().min(0).max(1).default(0.05),
  /** Metric the quality gate compares (offline evaluation, Personalize protocol, @10). */
  QUALITY_GATE_METRIC: z.enum(['precision', 'recall', 'ndcg', 'map', 'mrr']).default('ndcg'),
  /** EventBridge bus the pipelines notify on. */
  EVENT_BUS_NAME: z.string().min(1).default('default'),
});

export type Config = z.infer<typeof schema>;

/** Thrown when the environment does not satisfy the schema; the message names every bad variable. */
export class ConfigError extends Error {}

/** Parses and validates an environment (defaults to process.env). */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  // an empty variable (e.g. `${env:X, ''}` in serverless.yml) means "not set"
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(present);
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
