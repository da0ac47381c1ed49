import { DomainError } from '../../domain/errors.js';
import type { RunRequest } from '../../domain/pipeline/runs.js';
import type { PipelineRuns } from '../../ports/pipeline-runs.js';

// The admin pipeline handlers reach the in-process runner only through this registry, which `osusume start`
// fills: their modules (and the Lambda bundles built from them) never import the local runner.

let registered: PipelineRuns | undefined;

/** Makes `runs` the process's local pipeline runner (`osusume start`). */
export function registerLocalPipelineRuns(runs: PipelineRuns): void {
  registered = runs;
}

function runner(): PipelineRuns {
  if (!registered)
    throw new DomainError(
      'PipelineRunsUnavailable',
      'local pipeline runs are served by `osusume start` only',
      503,
    );
  return registered;
}

/**
 * The process's local runner, looked up per call. A local server that `osusume start` did not set up (a test
 * serving the API alone) answers the pipeline routes 503, naming why, instead of failing to start.
 */
class RegisteredPipelineRuns implements PipelineRuns {
  async start(request: RunRequest) {
    return runner().start(request);
  }

  async list(limit: number) {
    return runner().list(limit);
  }

  async get(runId: string) {
    return runner().get(runId);
  }
}

/** The local pipeline runs of this process (see {@link registerLocalPipelineRuns}). */
export function localPipelineRuns(): PipelineRuns {
  return new RegisteredPipelineRuns();
}
