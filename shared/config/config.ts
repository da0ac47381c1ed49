import * as z from 'zod/mini';
// zod/mini with short messages of our own keeps the request Lambda's bundle small
import './zod-messages.js';

const csv = z.pipe(
  z.string(),
  z.transform((s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
  ),
);
const name = z.string().check(z.minLength(3));
const num = (min: number, max: number, fallback: number, int = false) =>
  z._default(z.coerce.number().check(...(int ? [z.int()] : []), z.minimum(min), z.maximum(max)), fallback);

const APP_KEY_ENTRY = '[A-Za-z0-9_-]{1,64}=[A-Za-z0-9_\\-+/.~]{16,512}';
const APP_KEYS_FORMAT = new RegExp(`^${APP_KEY_ENTRY}(,${APP_KEY_ENTRY})*$`);

/** The app keys of `OSUSUME_APP_KEYS` (already validated by the schema) as app id → key. */
export function parseAppKeys(value: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of value.split(',')) {
    const eq = entry.indexOf('=');
    keys.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return keys;
}

/** Environment schema: read once, validated; a missing required variable fails at start with its name. */
const schema = z.object({
  OSUSUME_STAGE: z._default(z.string().check(z.minLength(1)), 'local'),
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'ap-northeast-1'),
  /** Set locally to the embedded DynamoDB (dynalite); unset on AWS. */
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  TABLE_RECOMMENDATIONS: name,
  TABLE_STATE: name,
  TABLE_NG_ITEMS: name,
  TABLE_USERS: name,
  TABLE_EVENTS: name,
  /** Results per request when numResults is absent. */
  DEFAULT_NUM_RESULTS: num(1, 500, 25, true),
  /** How long the request Lambda caches the NG list, the version pointers and popularity lists. */
  NG_CACHE_TTL_SECONDS: num(0, 86_400, 10),
  POINTER_CACHE_TTL_SECONDS: num(0, 86_400, 60),
  /** Bearer token for admin routes when no Lambda authorizer is in front (local). */
  OSUSUME_ADMIN_TOKEN: z.optional(z.string().check(z.minLength(16))),
  // ---- app routes (GET /users/{userId}/recommendations, POST /events): per-app keys, body bound ----
  /** SSM Parameter Store path of the app keys on AWS (`/osusume/{stage}/app-keys/`, one SecureString per app). */
  APP_KEYS_SSM_PATH: z.optional(z.string().check(z.regex(/^\/[A-Za-z0-9_./-]*\/$/))),
  /** App keys given directly (local): `appId=key[,appId=key...]`, keys of 16+ base64/base64url characters. */
  OSUSUME_APP_KEYS: z.optional(z.string().check(z.regex(APP_KEYS_FORMAT))),
  /** How long the authorizer caches the app keys (a revoked key stops working within it), seconds. */
  APP_KEYS_CACHE_SECONDS: num(0, 3600, 300, true),
  /** Largest POST /events body accepted (413 beyond; API Gateway itself allows 10 MB). */
  EVENTS_MAX_BODY_BYTES: num(1024, 10 * 1024 * 1024, 256 * 1024, true),
  /** Retention of published versions (DynamoDB TTL), days. */
  VERSION_RETENTION_DAYS: num(1, 3650, 7),
  /** Experiments per slot as JSON (see shared/domain/experiments); empty = every arm at equal weight. */
  EXPERIMENTS: z.optional(z.string()),
  /**
   * What serves the `personalize` arm: `campaign` (Amazon Personalize; the ARN comes from
   * PERSONALIZE_CAMPAIGN_ARN, else the SSM parameter PERSONALIZE_CAMPAIGN_PARAMETER), `standin` (osusume's
   * session model, labelled `personalize-standin:session`) or `off` (PERSONALIZE_OFF_FALLBACK answers).
   * Default: `standin` on stage local, `campaign` when a campaign source is set, else `off`.
   */
  PERSONALIZE_MODE: z.optional(z.enum(['campaign', 'standin', 'off'])),
  /** A fixed campaign (pins serving); usually unset so the SSM parameter the retraining writes is read. */
  PERSONALIZE_CAMPAIGN_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  /** SSM parameter holding the campaign ARN the retraining state machine last deployed (serverless.yml sets it). */
  PERSONALIZE_CAMPAIGN_PARAMETER: z.optional(z.string().check(z.regex(/^\/[a-zA-Z0-9_.\-/]+$/))),
  /** How long the request Lambda reuses the campaign ARN read from SSM before reading it again. */
  PERSONALIZE_CAMPAIGN_CACHE_SECONDS: num(0, 86_400, 60),
  /** What answers the `personalize` arm when PERSONALIZE_MODE is off: another arm's algorithm or popularity. */
  PERSONALIZE_OFF_FALLBACK: z._default(z.enum(['popularity', 'cf', 'fm', 'session']), 'popularity'),
  PERSONALIZE_FILTER_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  /** Similar-Items / SIMS campaign of the personalize arm on GET /items/{itemId}/similar (and bought-together's fallback). */
  PERSONALIZE_SIMILAR_ITEMS_CAMPAIGN_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  /** Personalized-Ranking campaign of the personalize arm on POST /users/{userId}/ranking. */
  PERSONALIZE_RANKING_CAMPAIGN_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  /** Most item columns one request may ask for with `metadata=`. */
  MAX_METADATA_COLUMNS: num(1, 50, 10, true),
  /** Deadline of one DynamoDB attempt (connect + request); a frozen table fails within attempts × this. */
  DYNAMODB_TIMEOUT_MS: num(50, 60_000, 1000, true),
  /**
   * Deadline of one DynamoDB attempt in the pipeline functions: their batch writes run beside CPU-bound
   * training and scoring that can hold the event loop for seconds, which a request deadline would count.
   */
  PIPELINE_DYNAMODB_TIMEOUT_MS: num(50, 600_000, 30_000, true),
  /** Attempts per DynamoDB call (the SDK retries throttling and timeouts). */
  DYNAMODB_MAX_ATTEMPTS: num(1, 10, 3, true),
  /** Total budget of the recommendations request path; past it, stale or fallback data with degraded: true. */
  REQUEST_BUDGET_MS: num(10, 10_000, 300, true),
  /** How long GET /health waits for DynamoDB before it answers 503. */
  HEALTH_TIMEOUT_MS: num(10, 10_000, 500, true),
  /** Hard timeout of GetRecommendations on the request path (no retries). */
  PERSONALIZE_TIMEOUT_MS: num(10, 5000, 150, true),
  /** How admin routes are protected: `iam` (API Gateway IAM auth on AWS) or `token` (Bearer OSUSUME_ADMIN_TOKEN). */
  ADMIN_AUTH: z._default(z.enum(['iam', 'token']), 'token'),
  /** Half-life of popularity's time decay in days (0 = no decay). */
  POPULARITY_HALF_LIFE_DAYS: num(0, 3650, 0),
  /** Columns of users.csv used as segments for popularity, in back-off priority order (empty = all). */
  SEGMENT_COLUMNS: z._default(csv, []),
  // ---- events and A/B measurement (POST /events, impressions, ab-report) ----
  /** Retention of events and impressions (DynamoDB TTL), days. */
  EVENT_TTL_DAYS: num(1, 3650, 90, true),
  /** How far in the future an event's sentAt may be (client clock skew), seconds. */
  EVENT_MAX_SKEW_SECONDS: num(0, 86_400, 300, true),
  /** Extra event type names as JSON, name → view|favorite|cart|purchase (e.g. {"pv":"view","buy":"purchase"}). */
  EVENT_TYPE_MAPPING: z.optional(z.string()),
  /** Share of served lists recorded as impressions (0..1; 1 = all). */
  IMPRESSION_SAMPLE_RATE: num(0, 1, 1),
  /** Served lists are queued and written in batches after at most this long (0 = one write per list); never awaited by the request. */
  IMPRESSION_BATCH_MS: num(0, 60_000, 200, true),
  /** An event without a known recommendationId is attributed to a list served to the user this recently. */
  ATTRIBUTION_WINDOW_HOURS: num(0, 24 * 90, 24),
  /** Deadline of one PutEvents attempt (two attempts); past it the events stay stored, `forwarded: false`. */
  PERSONALIZE_EVENTS_TIMEOUT_MS: num(50, 10_000, 1000, true),
  /** Amazon Personalize event tracker; when set, stored events are also sent with PutEvents. */
  PERSONALIZE_TRACKING_ID: z.optional(z.string().check(z.minLength(1))),
  /** Recent events the session arm reads per request (0 = precomputed lists only). */
  SESSION_RECENT_EVENTS: num(0, 100, 10, true),
  /** How long the request Lambda reuses a user's recent events (ms; 0 = read them on every request). */
  SESSION_EVENTS_CACHE_MS: num(0, 60_000, 500, true),
  /** Firehose delivery stream that carries accepted events to S3 for training (AWS). */
  EVENT_EXPORT_STREAM: z.optional(z.string().check(z.minLength(1))),
  /** Where accepted events go for training: `firehose` (EVENT_EXPORT_STREAM), `folder` (ARTIFACT_DIR, locally) or `off`; default: firehose when a stream is set, else folder when ARTIFACT_DIR is set, else off. */
  EVENT_EXPORT: z.optional(z.enum(['firehose', 'folder', 'off'])),
  /** Firehose delivery streams of the live users / items writes (POST /users, POST /items) on AWS. */
  USERS_EXPORT_STREAM: z.optional(z.string().check(z.minLength(1))),
  ITEMS_EXPORT_STREAM: z.optional(z.string().check(z.minLength(1))),
  /** Personalize Users / Items datasets: when set, live writes are also sent with PutUsers / PutItems. */
  PERSONALIZE_USERS_DATASET_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  PERSONALIZE_ITEMS_DATASET_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  // ---- nightly pipeline (statemachines/, functions/pipeline/) ----
  /** S3 bucket of pipeline artifacts (dataset snapshots, models) on AWS. */
  ARTIFACT_BUCKET: z.optional(z.string().check(z.minLength(3))),
  /** Local folder used instead of ARTIFACT_BUCKET (osusume pipeline run / npm start). */
  ARTIFACT_DIR: z.optional(z.string().check(z.minLength(1))),
  /** Dataset a scheduled run snapshots when its input names none (s3://bucket/prefix or a folder). */
  DATASET_URI: z.optional(z.string().check(z.minLength(1))),
  /** How POST/GET /admin/pipeline/runs run the pipelines: Step Functions (`sfn`) or in this process (`local`, `osusume start`); default `local` when DYNAMODB_ENDPOINT is set, else `sfn`. */
  PIPELINE_RUNS: z.optional(z.enum(['sfn', 'local'])),
  /** State machines the admin pipeline routes start on AWS (serverless.yml sets them). */
  SCORING_STATE_MACHINE_ARN: z.optional(z.string().check(z.minLength(20))),
  PERSONALIZE_STATE_MACHINE_ARN: z.optional(z.string().check(z.minLength(20))),
  /** Exported events older than this many days are left out of training (the training horizon). */
  TRAINING_HORIZON_DAYS: num(1, 3650, 90, true),
  /** Users per scoring shard (one Lambda invocation each). */
  PIPELINE_SHARD_USERS: num(1, 10_000_000, 5000, true),
  /** Shard plans with at least this many shards are scored by the DISTRIBUTED Map. */
  PIPELINE_DISTRIBUTED_MIN_SHARDS: num(1, 1_000_000, 40, true),
  /** Items stored per user and algorithm. */
  PIPELINE_NUM_RESULTS: num(1, 500, 100, true),
  /** Share of bad CSV rows tolerated when the pipeline validates its snapshot (beyond it the run fails). */
  PIPELINE_MAX_BAD_ROW_SHARE: num(0, 1, 0.01),
  /** Quality gate: a new version may be worse than the active one by at most this share of its metric. */
  QUALITY_GATE_MARGIN: num(0, 1, 0.05),
  /** Metric the quality gate compares (offline evaluation, Personalize protocol, @10). */
  QUALITY_GATE_METRIC: z._default(z.enum(['precision', 'recall', 'ndcg', 'map', 'mrr']), 'ndcg'),
  /** EventBridge bus the pipelines notify on. */
  EVENT_BUS_NAME: z._default(z.string().check(z.minLength(1)), 'default'),
});

export type Config = z.infer<typeof schema> & {
  /** Always resolved by parseConfig (see defaultPersonalizeMode). */
  readonly PERSONALIZE_MODE: 'campaign' | 'standin' | 'off';
};

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
  const data = result.data;
  const mode = data.PERSONALIZE_MODE ?? defaultPersonalizeMode(data);
  if (mode === 'campaign' && !data.PERSONALIZE_CAMPAIGN_ARN && !data.PERSONALIZE_CAMPAIGN_PARAMETER) {
    throw new ConfigError(
      'invalid configuration: PERSONALIZE_MODE: campaign needs PERSONALIZE_CAMPAIGN_ARN or PERSONALIZE_CAMPAIGN_PARAMETER',
    );
  }
  return { ...data, PERSONALIZE_MODE: mode };
}

/** The stand-in only where nothing else can answer (stage local); elsewhere a campaign when one is named. */
function defaultPersonalizeMode(c: z.infer<typeof schema>): 'campaign' | 'standin' | 'off' {
  if (c.PERSONALIZE_CAMPAIGN_ARN || (c.PERSONALIZE_CAMPAIGN_PARAMETER && c.OSUSUME_STAGE !== 'local'))
    return 'campaign';
  return c.OSUSUME_STAGE === 'local' ? 'standin' : 'off';
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
