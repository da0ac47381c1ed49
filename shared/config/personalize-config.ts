import * as z from 'zod/mini';
import './zod-messages.js';
import { ConfigError } from './config.js';

const num = (min: number, max: number, fallback: number) =>
  z._default(z.coerce.number().check(z.minimum(min), z.maximum(max)), fallback);
const arn = z.optional(z.string().check(z.regex(/^arn:aws[a-z-]*:(personalize|iam)::?/)));

/**
 * Settings of the Personalize retraining state machine (read by its plan and record Lambdas only, so the
 * request path never validates them). ARNs are optional locally: the simulator invents them.
 */
const schema = z.object({
  OSUSUME_STAGE: z._default(z.string().check(z.minLength(1)), 'local'),
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'ap-northeast-1'),
  PERSONALIZE_DATASET_GROUP_ARN: arn,
  PERSONALIZE_INTERACTIONS_DATASET_ARN: arn,
  PERSONALIZE_USERS_DATASET_ARN: arn,
  PERSONALIZE_ITEMS_DATASET_ARN: arn,
  /** Role Personalize assumes to read the snapshot from S3 (passed to CreateDatasetImportJob). */
  PERSONALIZE_ROLE_ARN: arn,
  PERSONALIZE_CAMPAIGN_ARN: arn,
  /** SSM parameter the machine writes the deployed campaign's ARN to (default /osusume/{stage}/personalize/campaign-arn). */
  PERSONALIZE_CAMPAIGN_PARAMETER: z.optional(z.string().check(z.regex(/^\/[a-zA-Z0-9_.\-/]+$/))),
  /** HRNN is retired: User-Personalization-v2 by default. */
  PERSONALIZE_RECIPE_ARN: z._default(z.string(), 'arn:aws:personalize:::recipe/aws-user-personalization-v2'),
  /** Prefix of the solutions this state machine creates. */
  PERSONALIZE_SOLUTION_PREFIX: z.optional(z.string().check(z.regex(/^[a-zA-Z0-9][a-zA-Z0-9\-_]*$/))),
  /** FULL retrains from scratch; UPDATE only folds in new items/interactions (cheaper). */
  PERSONALIZE_TRAINING_MODE: z._default(z.enum(['FULL', 'UPDATE']), 'FULL'),
  /** HPO policy: tune every N days, or when interactions grew by more than this share. */
  PERSONALIZE_HPO_EVERY_DAYS: num(1, 3650, 30),
  PERSONALIZE_HPO_GROWTH_SHARE: num(0, 100, 0.2),
  /** A stage's first retraining: `defaults` (the recipe's hyperparameters, no HPO unless asked) or `hpo`. */
  PERSONALIZE_HPO_FIRST_RUN: z._default(z.enum(['defaults', 'hpo']), 'defaults'),
  /** GetSolutionMetrics key the campaign gate compares, and the tolerated relative drop. */
  PERSONALIZE_GATE_METRIC: z._default(z.string(), 'normalized_discounted_cumulative_gain_at_10'),
  PERSONALIZE_GATE_MARGIN: num(0, 1, 0.02),
  /** Poll limits (attempts of the Wait + Describe loops) before a clear timeout failure. */
  PERSONALIZE_MAX_POLLS: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 240),
});

export type PersonalizeConfig = z.infer<typeof schema>;

/** Parses the Personalize settings from an environment (default process.env). */
export function parsePersonalizeConfig(
  env: Record<string, string | undefined> = process.env,
): PersonalizeConfig {
  const result = z.safeParse(schema, env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return result.data;
}
