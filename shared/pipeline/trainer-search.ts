/**
 * The trainers' own parameter searches (registry entries with `ownSearch`: the session arm's kNN) follow
 * the Tune stage's due rule (issue 14: tune only when needed, and reuse the result): the Train state
 * searches on a tuning night (tuned tonight, never tuned, a manual --tune) and stores the choice; on the
 * other nights it trains with the stored choice and no search.
 */
import type { AlgorithmEntry } from '../domain/algorithms/registry.js';
import type { Recommender } from '../domain/algorithms/recommender.js';
import { trainerSearchKey } from '../domain/pipeline/record-keys.js';
import type { PipelineDeps } from './pipeline-container.js';
import type { RunTuning } from './tuning.js';

/** What a tuning night's Train state stores under trainerSearchKey(algorithm). */
export interface TrainerSearchRecord {
  readonly algorithm: string;
  readonly tunedAt: string;
  /** Nightly run version that searched. */
  readonly version: string;
  /** Why that night searched (the Tune stage's reason). */
  readonly reason: string;
  /** The parameters the search chose (the next nights start from them). */
  readonly params: Readonly<Record<string, number>>;
  /** The trainer's own report of the search (evaluations, objective of the start and of the choice). */
  readonly report: unknown;
}

/** Whether tonight's Train state runs the entry's own search, or reuses a stored choice. */
export type TrainerSearchPlan =
  | { readonly search: true; readonly reason: string }
  | { readonly search: false; readonly record: TrainerSearchRecord };

/**
 * Reuses the stored choice when the night reuses stored tuning (`tuned.source` 'stored': not due, or
 * tonight's trials failed) and a choice was stored; searches otherwise.
 */
export async function planTrainerSearch(
  deps: PipelineDeps,
  algorithm: string,
  tuned: RunTuning | undefined,
): Promise<TrainerSearchPlan> {
  const record = await deps.state.getRecord<TrainerSearchRecord>(trainerSearchKey(algorithm));
  if (record && tuned?.source === 'stored') return { search: false, record };
  return {
    search: true,
    reason: record ? (tuned?.reason ?? 'no tuning state in the run') : 'never searched',
  };
}

/** Stores what `model`'s own search chose (nothing when it did not search); returns the record stored. */
export async function storeTrainerSearch(
  deps: PipelineDeps,
  entry: AlgorithmEntry,
  model: Recommender,
  run: { readonly version: string },
  reason: string,
): Promise<TrainerSearchRecord | undefined> {
  const chosen = entry.ownSearch?.chosen(model);
  if (!chosen) return undefined;
  const record: TrainerSearchRecord = {
    algorithm: entry.name,
    tunedAt: new Date().toISOString(),
    version: run.version,
    reason,
    params: chosen.params,
    report: chosen.report,
  };
  await deps.state.putRecord(trainerSearchKey(entry.name), record);
  return record;
}
