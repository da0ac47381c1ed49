import type { RunRequest, RunView } from '../domain/pipeline/runs.js';

/**
 * Starts and inspects pipeline runs: Step Functions executions on AWS, the same ASL run in-process by
 * `npm start` locally.
 */
export interface PipelineRuns {
  /** Starts a run, or reports the one a retried request already started (`started: false`). */
  start(request: RunRequest): Promise<{ runId: string; started: boolean; status: RunView['status'] }>;
  /** Recent runs of both machines, newest first. */
  list(limit: number): Promise<RunView[]>;
  /** One run with its per-state timings; undefined when no run has that id. */
  get(runId: string): Promise<RunView | undefined>;
}
