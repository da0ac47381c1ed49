import type { NeighbourLists } from '../neighbour-model.js';
import type { RepeatTables } from './repeat-model.js';
import type { SessionIndex } from './session-index.js';
import { type SessionKnnParams, SessionKnnModel } from './session-knn.js';

/** Validation target positions (session, position) of a session log. */
export interface Targets {
  readonly sess: Int32Array;
  readonly pos: Int32Array;
}

/** The sessions a search scores (oldest first per session), as typed arrays. */
export interface TargetLog {
  readonly ptr: Int32Array;
  readonly items: Int32Array;
  readonly times: Float64Array;
}

/** What one evaluation needs besides the parameters (plain typed arrays, so a worker gets a clone). */
export interface EvaluationData {
  readonly itemIds: readonly string[];
  readonly eventTypeNames: readonly string[];
  readonly index: SessionIndex;
  readonly rules: NeighbourLists;
  readonly repeat: RepeatTables;
  readonly log: TargetLog;
  readonly targets: Targets;
  /** Candidates ranked per target (a target beyond them gets rank -1). */
  readonly n: number;
}

/**
 * Ranks (0-based, -1 beyond `n`) of the targets `offset, offset + stride, …` among the new candidates of
 * their session prefix, and each one's work (SessionKnnModel.lastWork), written at the targets' positions
 * of `ranks` and `work`. A model built here per call: the scratch is the only state, and it never changes
 * a result.
 */
export function rankTargets(
  data: EvaluationData,
  params: SessionKnnParams,
  offset: number,
  stride: number,
  ranks: Int32Array,
  work: Float64Array,
): void {
  const { log, targets, n } = data;
  const model = new SessionKnnModel(
    data.itemIds,
    data.eventTypeNames,
    data.index,
    data.rules,
    data.repeat,
    params,
  );
  for (let j = offset; j < targets.pos.length; j += stride) {
    const from = log.ptr[targets.sess[j]];
    const t = targets.pos[j];
    const list = model.rankNew(log.items.subarray(from, t), log.times[t - 1], n);
    work[j] = model.lastWork;
    const target = log.items[t];
    ranks[j] = -1;
    for (let r = 0; r < list.items.length; r++)
      if (list.items[r] === target) {
        ranks[j] = r;
        break;
      }
  }
}
