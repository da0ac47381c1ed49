/** Runs in an evaluation worker (see evaluation-pool.ts): ranks its share of one evaluation's targets. */
import type { MessagePort } from 'node:worker_threads';
import type { ShareResult } from './evaluation-pool.js';
import type { SessionKnnParams } from './session-knn.js';
import { type EvaluationData, rankTargets } from './target-ranks.js';

/** Answers one request with full-length arrays holding its targets' entries (transferred, not copied). */
export function answer(
  data: EvaluationData,
  request: { id: number; params: SessionKnnParams; offset: number; stride: number },
  port: MessagePort,
): void {
  const count = data.targets.pos.length;
  let result: ShareResult;
  try {
    const ranks = new Int32Array(count);
    const work = new Float64Array(count);
    rankTargets(data, request.params, request.offset, request.stride, ranks, work);
    result = { id: request.id, ranks, work };
  } catch (err) {
    result = { id: request.id, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(
    result,
    result.ranks && result.work
      ? [result.ranks.buffer as ArrayBuffer, result.work.buffer as ArrayBuffer]
      : [],
  );
}
