import { ARM_ALGORITHMS, type ExperimentConfig } from '../domain/experiments/experiments.js';
import type { GateDecision } from '../domain/pipeline/quality-gate.js';
import { gateKey, metricsHistoryKey } from '../domain/pipeline/record-keys.js';
import type { PipelineStateStore } from '../ports/stores.js';
import { DATASET_COLUMNS_KEY, type DatasetColumns } from './catalog.js';

/** A stored RankingMetrics: numbers by name, and the intervals (`ci95`, absent in records older than it). */
export type StoredRankingMetrics = Readonly<Record<string, number>> & {
  readonly ci95?: Readonly<Record<string, readonly [number, number]>>;
};

/** One stored nightly evaluation of an algorithm (the pipeline's MetricsRecord, read as stored). */
export interface StoredMetrics {
  readonly version: string;
  readonly evaluatedAt: string;
  readonly protocol?: string;
  /** The averages, and `ci95`: the 95% interval [low, high] of each per-user average (none for coverage). */
  readonly metrics: StoredRankingMetrics;
  readonly trainMs?: number;
  /** Present when the run used tuned parameters: what they were and the default's metrics, if recorded. */
  readonly tuned?: unknown;
}

export interface ModelsOverview {
  readonly algorithms: {
    readonly algorithm: string;
    /** The published version and when its pointer moved (absent before the first publish). */
    readonly active?: { readonly version: string; readonly publishedAt: string };
    /** Recent nightly evaluations, oldest first. */
    readonly history: StoredMetrics[];
  }[];
  /** The quality gate's decision per evaluated version, oldest first. */
  readonly gates: (GateDecision & { readonly version: string })[];
  /** The latest run's item attribute columns (what the recommendation routes' `metadata` may ask for). */
  readonly itemColumns: readonly string[];
  /** The experiments that serve the algorithms: slots, arms and configured weights. */
  readonly experiments: {
    readonly defaultSlot: string;
    readonly slots: {
      readonly slot: string;
      readonly experiment: string;
      readonly arms: { name: string; algorithm: string; weight: number }[];
    }[];
  };
}

/**
 * What the console's Overview and Offline quality pages show: per algorithm the published version and its
 * recent offline metrics, the gate's decisions and the experiment configuration. Algorithms never published
 * nor evaluated (Personalize, which the retraining machine tracks) are left out.
 */
export async function modelsOverview(
  state: Pick<PipelineStateStore, 'getActiveVersion' | 'getRecord'>,
  experiments: ExperimentConfig,
): Promise<ModelsOverview> {
  const algorithms: ModelsOverview['algorithms'][number][] = [];
  for (const algorithm of ARM_ALGORITHMS) {
    const [pointer, history] = await Promise.all([
      state.getActiveVersion(algorithm),
      state.getRecord<StoredMetrics[]>(metricsHistoryKey(algorithm)),
    ]);
    if (!pointer && !history?.length) continue;
    algorithms.push({
      algorithm,
      active: pointer && { version: pointer.version, publishedAt: new Date(pointer.updatedAt).toISOString() },
      history: (history ?? []).map((r) => ({
        version: r.version,
        evaluatedAt: r.evaluatedAt,
        protocol: r.protocol,
        metrics: r.metrics,
        trainMs: r.trainMs,
        tuned: r.tuned,
      })),
    });
  }
  const versions = [...new Set(algorithms.flatMap((a) => a.history.map((r) => r.version)))].sort();
  const decisions = await Promise.all(versions.map((v) => state.getRecord<GateDecision>(gateKey(v))));
  const gates = versions.flatMap((version, i) => (decisions[i] ? [{ version, ...decisions[i] }] : []));
  const columns = await state.getRecord<DatasetColumns>(DATASET_COLUMNS_KEY);
  return {
    algorithms,
    gates,
    itemColumns: columns?.items ?? [],
    experiments: {
      defaultSlot: experiments.defaultSlot,
      slots: Object.entries(experiments.slots).map(([slot, s]) => ({
        slot,
        experiment: s.experiment,
        arms: s.arms.map((a) => ({ name: a.name, algorithm: a.algorithm, weight: a.weight })),
      })),
    },
  };
}
