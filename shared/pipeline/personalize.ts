/**
 * The Lambda steps of statemachines/personalize-retraining.asl.json. Everything that talks to Amazon
 * Personalize is an aws-sdk service integration in the ASL; these two steps only decide (plan, gate)
 * and remember (tuning, solutions, metrics) through the pipeline state store.
 */
import type { PersonalizeConfig } from '../config/personalize-config.js';
import { ValidationError } from '../domain/errors.js';
import { decideHpo, type HpoDecision, type TuningRecord } from '../domain/pipeline/hpo-policy.js';
import { campaignParameterName } from '../ports/parameters.js';
import type { PipelineDeps } from './pipeline-container.js';
import {
  LATEST_RUN_KEY,
  type MetricsRecord,
  metricsKey,
  PUBLISHED_ALGORITHMS,
  type RunContext,
} from './nightly.js';
import { type KnownUsersLayout, KnownUsersBuilder } from '../domain/personalize/known-users.js';
import { KNOWN_USERS_POINTER, knownUsersShardKey } from '../use-cases/known-users.js';
import { collectUserIds, writeIncrementalInteractions } from './personalize-increment.js';
import { runKeys } from './snapshot.js';

export const TUNING_KEY = 'personalize-tuning';
/** What the interactions dataset holds: after a FULL import, only events sent since `cutoffSec` are new. */
export const IMPORTS_KEY = 'personalize-imports';

export interface ImportsRecord {
  /** When the FULL import of interactions.csv ran (every later run imports INCREMENTAL). */
  readonly fullImportAt: string;
  /** Events sent before this (unix seconds) are in the dataset; 0 = none of the events parts yet. */
  readonly cutoffSec: number;
  /** The snapshot of the last import. */
  readonly snapshot: string;
}
const retrainingKey = (runId: string) => `personalize#${runId}`;

export interface RetrainingInput {
  /** Force HPO (manual input flag). */
  readonly hpo?: boolean;
  /** Dataset prefix to import (s3://...); default: the latest published nightly snapshot. */
  readonly data?: string;
  readonly trigger?: string;
  /** Re-import interactions.csv in FULL (replaces the dataset's interactions) instead of INCREMENTAL. */
  readonly fullImport?: boolean;
}

export interface ImportPlan {
  readonly datasetType: 'interactions' | 'users' | 'items';
  readonly datasetArn: string;
  readonly dataLocation: string;
  readonly jobName: string;
  /** FULL replaces the dataset; INCREMENTAL adds the rows (new interactions since the last import). */
  readonly importMode: 'FULL' | 'INCREMENTAL';
}

/** $.plan of the retraining state machine. */
export interface RetrainingPlan {
  readonly runId: string;
  readonly datasetGroupArn: string;
  readonly roleArn: string;
  readonly campaignArn: string;
  /** SSM parameter PublishCampaign writes the campaign ARN to once the update is ACTIVE. */
  readonly campaignParameter: string;
  readonly imports: ImportPlan[];
  /** Stored by RecordRetraining once the imports are ACTIVE (absent for an explicit `data` import). */
  readonly importsRecord?: ImportsRecord;
  /** The users this training sees (shards already stored); RecordRetraining points serving at it when the gate passes. */
  readonly knownUsers: KnownUsersLayout | null;
  readonly hpo: HpoDecision;
  readonly interactions: number;
  readonly trainingMode: 'FULL' | 'UPDATE';
  readonly solution: {
    /** True: CreateSolution first (tuning run, or first regular solution with tuned hyperparameters). */
    readonly create: boolean;
    readonly arn?: string;
    readonly name: string;
    readonly recipeArn: string;
    readonly performHPO: boolean;
    /** SolutionConfig of CreateSolution (automatic training off: this state machine owns retraining). */
    readonly config: Record<string, unknown>;
  };
  readonly maxPolls: number;
  /** Poll counters of the Wait + Describe loops, incremented in the ASL. */
  readonly polls: {
    readonly solution: { n: number };
    readonly version: { n: number };
    readonly campaign: { n: number };
  };
}

function required(value: string | undefined, name: string, local: string): string {
  if (value) return value;
  if (process.env.DYNAMODB_ENDPOINT) return local; // local run: the simulator accepts any ARN
  throw new ValidationError(`${name} is required for the Personalize retraining`, name);
}

/** PlanRetraining: which data to import, whether HPO is due, which solution to train. */
export async function planRetraining(
  deps: PipelineDeps,
  cfg: PersonalizeConfig,
  input: RetrainingInput,
  now = new Date(),
): Promise<RetrainingPlan> {
  const latest = await deps.state.getRecord<RunContext>(LATEST_RUN_KEY);
  if (!input.data && !latest)
    throw new ValidationError(
      'no published nightly snapshot to import: run the nightly scoring first or pass "data"',
      'data',
    );
  const base = input.data
    ? input.data.replace(/\/+$/, '')
    : deps.artifacts.uri(runKeys.snapshot((latest as RunContext).version));
  const runId = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const stage = cfg.OSUSUME_STAGE;
  const region = cfg.AWS_REGION;
  const fake = (kind: string) => `arn:aws:personalize:${region}:000000000000:${kind}/osusume-${stage}`;
  const imports: ImportPlan[] = [];
  // after the first FULL import only the posted events sent since the last import go in, INCREMENTAL
  const imported = input.data ? undefined : await deps.state.getRecord<ImportsRecord>(IMPORTS_KEY);
  let importsRecord: ImportsRecord | undefined;
  let increment: { location?: string } | undefined;
  if (latest && !input.data) {
    const toSec = Math.floor(Date.parse(latest.startedAt) / 1000);
    if (imported && input.fullImport !== true) {
      const snapshotKey = runKeys.snapshot(latest.version);
      const parts = (await deps.artifacts.list(`${snapshotKey}/events-`)).filter((k) => k.endsWith('.csv'));
      const prefix = `runs/${latest.version}/personalize-${runId}/interactions`;
      const written = await writeIncrementalInteractions(
        deps.artifacts,
        parts,
        imported.cutoffSec,
        toSec,
        prefix,
      );
      // nothing new: no interactions import this time (an empty import fails)
      increment = { location: written.rows > 0 ? `${deps.artifacts.uri(prefix)}/` : undefined };
      importsRecord = {
        fullImportAt: imported.fullImportAt,
        cutoffSec: Math.max(imported.cutoffSec, toSec),
        snapshot: latest.version,
      };
    } else {
      // interactions.csv alone: this snapshot's events parts go in with the next INCREMENTAL import
      importsRecord = { fullImportAt: now.toISOString(), cutoffSec: 0, snapshot: latest.version };
    }
  }
  const datasets = [
    ['interactions', cfg.PERSONALIZE_INTERACTIONS_DATASET_ARN, 'PERSONALIZE_INTERACTIONS_DATASET_ARN'],
    ['users', cfg.PERSONALIZE_USERS_DATASET_ARN, 'PERSONALIZE_USERS_DATASET_ARN'],
    ['items', cfg.PERSONALIZE_ITEMS_DATASET_ARN, 'PERSONALIZE_ITEMS_DATASET_ARN'],
  ] as const;
  for (const [type, arn, name] of datasets) {
    // users and items datasets are optional in a dataset group; interactions is not
    const datasetArn =
      type === 'interactions'
        ? required(arn, name, `${fake('dataset')}/INTERACTIONS`)
        : (arn ?? (process.env.DYNAMODB_ENDPOINT ? `${fake('dataset')}/${type.toUpperCase()}` : undefined));
    if (!datasetArn) continue;
    const jobName = `osusume-${stage}-${type}-${runId}`;
    if (type === 'interactions' && increment) {
      if (increment.location)
        imports.push({
          datasetType: type,
          datasetArn,
          dataLocation: increment.location,
          jobName,
          importMode: 'INCREMENTAL',
        });
      continue;
    }
    imports.push({
      datasetType: type,
      datasetArn,
      dataLocation: `${base}/${type}.csv`,
      jobName,
      importMode: 'FULL',
    });
  }
  let knownUsers: KnownUsersLayout | undefined;
  if (latest && !input.data) {
    // everyone with an interaction in the snapshot: interactions.csv plus the posted events
    const snapshotKey = runKeys.snapshot(latest.version);
    const files = [
      `${snapshotKey}/interactions.csv`,
      ...(await deps.artifacts.list(`${snapshotKey}/events-`)).filter((k) => k.endsWith('.csv')),
    ];
    const builder = new KnownUsersBuilder(runId, latest.users);
    await collectUserIds(deps.artifacts, files, (u) => builder.add(u));
    for (const [i, bits] of builder.shards.entries())
      await deps.state.putRecord(knownUsersShardKey(runId, i), {
        bits: Buffer.from(bits).toString('base64'),
      });
    knownUsers = builder.layout;
  }
  const tuning = await deps.state.getRecord<TuningRecord>(TUNING_KEY);
  const interactions = latest?.interactions ?? 0;
  const hpo = decideHpo({
    manual: input.hpo === true,
    last: tuning,
    interactions,
    now,
    policy: {
      everyDays: cfg.PERSONALIZE_HPO_EVERY_DAYS,
      growthShare: cfg.PERSONALIZE_HPO_GROWTH_SHARE,
      firstRun: cfg.PERSONALIZE_HPO_FIRST_RUN,
    },
  });
  const prefix = cfg.PERSONALIZE_SOLUTION_PREFIX ?? `osusume-${stage}`;
  const reuse = !hpo.due && tuning?.regularSolutionArn !== undefined;
  const solutionConfig: Record<string, unknown> = hpo.due
    ? { HpoConfig: { HpoResourceConfig: { MaxNumberOfTrainingJobs: '16', MaxParallelTrainingJobs: '4' } } }
    : tuning
      ? { AlgorithmHyperParameters: tuning.hyperParameters }
      : {};
  return {
    runId,
    datasetGroupArn: required(
      cfg.PERSONALIZE_DATASET_GROUP_ARN,
      'PERSONALIZE_DATASET_GROUP_ARN',
      fake('dataset-group'),
    ),
    roleArn: required(
      cfg.PERSONALIZE_ROLE_ARN,
      'PERSONALIZE_ROLE_ARN',
      `arn:aws:iam::000000000000:role/osusume-${stage}-personalize`,
    ),
    campaignArn: required(cfg.PERSONALIZE_CAMPAIGN_ARN, 'PERSONALIZE_CAMPAIGN_ARN', fake('campaign')),
    campaignParameter: cfg.PERSONALIZE_CAMPAIGN_PARAMETER ?? campaignParameterName(stage),
    imports,
    importsRecord,
    knownUsers: knownUsers ?? null,
    hpo,
    interactions,
    // a new solution has no version to update from
    trainingMode: reuse ? cfg.PERSONALIZE_TRAINING_MODE : 'FULL',
    solution: {
      create: !reuse,
      arn: reuse ? tuning?.regularSolutionArn : undefined,
      name: `${prefix}-${hpo.due ? 'hpo' : 'regular'}-${runId}`.toLowerCase().slice(0, 63),
      recipeArn: cfg.PERSONALIZE_RECIPE_ARN,
      performHPO: hpo.due,
      config: solutionConfig,
    },
    maxPolls: cfg.PERSONALIZE_MAX_POLLS,
    polls: { solution: { n: 0 }, version: { n: 0 }, campaign: { n: 0 } },
  };
}

export interface RecordInput {
  readonly plan: RetrainingPlan;
  readonly solution: { readonly arn: string };
  readonly version: { readonly arn: string };
  /** DescribeSolutionVersion's SolutionVersion (TunedHPOParams after a tuning run). */
  readonly versionStatus: {
    readonly version: { TunedHPOParams?: { AlgorithmHyperParameters?: Record<string, string> } };
  };
  readonly candidate: { readonly metrics: Record<string, number> };
  /** The campaign's current solution version metrics (absent when the campaign has none). */
  readonly current?: { readonly metrics?: Record<string, number>; readonly versionArn?: string };
}

export interface RetrainingGate {
  readonly passed: boolean;
  readonly metric: string;
  readonly candidate: number;
  readonly current?: number;
  readonly reason: string;
}

/**
 * PublishKnownUsers (after PublishCampaign): points serving at the users the now deployed version was
 * trained on, so the cold-user rule and the campaign change together. Nothing to do without a set.
 */
export async function publishKnownUsers(deps: PipelineDeps, layout: KnownUsersLayout | null): Promise<void> {
  if (layout) await deps.state.putRecord(KNOWN_USERS_POINTER, layout);
}

/**
 * RecordRetraining: remembers tuned hyperparameters (tuning run) or the regular solution (first regular
 * run after a tuning), stores the solution metrics next to osusume's own offline metrics of the same
 * snapshot, and decides the campaign gate: the new version must not be worse than the campaign's
 * current one by more than PERSONALIZE_GATE_MARGIN.
 */
export async function recordRetraining(
  deps: PipelineDeps,
  cfg: PersonalizeConfig,
  input: RecordInput,
  now = new Date(),
): Promise<RetrainingGate> {
  const { plan } = input;
  const tuning = await deps.state.getRecord<TuningRecord>(TUNING_KEY);
  if (plan.solution.performHPO) {
    const tuned = input.versionStatus.version.TunedHPOParams?.AlgorithmHyperParameters ?? {};
    const record: TuningRecord = {
      tunedAt: now.toISOString(),
      interactions: plan.interactions,
      hyperParameters: tuned,
      solutionVersionArn: input.version.arn,
    };
    await deps.state.putRecord(TUNING_KEY, record);
  } else if (plan.solution.create && tuning) {
    await deps.state.putRecord(TUNING_KEY, { ...tuning, regularSolutionArn: input.solution.arn });
  } else if (plan.solution.create) {
    // a first run on the recipe's defaults: later runs reuse its solution, and the age and growth rules
    // count from today
    const record: TuningRecord = {
      tunedAt: now.toISOString(),
      interactions: plan.interactions,
      hyperParameters: {},
      defaults: true,
      regularSolutionArn: input.solution.arn,
    };
    await deps.state.putRecord(TUNING_KEY, record);
  }
  // the imports are ACTIVE by now: the next run imports only what is newer
  if (plan.importsRecord) await deps.state.putRecord(IMPORTS_KEY, plan.importsRecord);
  const metric = cfg.PERSONALIZE_GATE_METRIC;
  const candidate = input.candidate.metrics[metric];
  const current = input.current?.metrics?.[metric];
  let gate: RetrainingGate;
  if (candidate === undefined || !Number.isFinite(candidate)) {
    gate = {
      passed: false,
      metric,
      candidate: Number.NaN,
      current,
      reason: `solution version has no metric ${metric}`,
    };
  } else if (current === undefined) {
    gate = {
      passed: true,
      metric,
      candidate,
      reason: 'the campaign has no current solution version metrics',
    };
  } else {
    const threshold = current * (1 - cfg.PERSONALIZE_GATE_MARGIN);
    gate = {
      passed: candidate >= threshold,
      metric,
      candidate,
      current,
      reason:
        candidate >= threshold
          ? `${metric} ${candidate.toFixed(4)} ≥ ${threshold.toFixed(4)}`
          : `${metric} ${candidate.toFixed(4)} < ${threshold.toFixed(4)} (current ${current.toFixed(4)} − ${(cfg.PERSONALIZE_GATE_MARGIN * 100).toFixed(1)}%)`,
    };
  }
  // next to osusume's own offline metrics of the latest published nightly version
  const latest = await deps.state.getRecord<RunContext>(LATEST_RUN_KEY);
  const osusume: Record<string, unknown> = {};
  if (latest) {
    for (const a of PUBLISHED_ALGORITHMS) {
      const m = await deps.state.getRecord<MetricsRecord>(metricsKey(a, latest.version));
      if (m) osusume[a] = m.metrics;
    }
  }
  await deps.state.putRecord(retrainingKey(plan.runId), {
    runId: plan.runId,
    hpo: plan.hpo,
    solutionArn: input.solution.arn,
    solutionVersionArn: input.version.arn,
    personalizeMetrics: input.candidate.metrics,
    currentMetrics: input.current?.metrics,
    osusumeMetrics: { version: latest?.version, ...osusume },
    gate,
    recordedAt: now.toISOString(),
  });
  return gate;
}
