import { type Config, ConfigError } from './config/config.js';
import type { PipelineRuns } from './ports/pipeline-runs.js';

// Kept out of shared/composition.ts (like pipeline-container.ts): only the admin pipeline routes use these
// adapters, and the local runner (aws-local-stepfunctions) is registered by `osusume start`, never imported here.

/**
 * The pipeline-runs adapter of the admin routes: Step Functions on AWS (both state machine ARNs required,
 * checked at start), or the in-process runner of `osusume start` (PIPELINE_RUNS=local).
 */
export async function buildPipelineRuns(cfg: Config): Promise<PipelineRuns> {
  if ((cfg.PIPELINE_RUNS ?? (cfg.DYNAMODB_ENDPOINT ? 'local' : 'sfn')) === 'local') {
    const { localPipelineRuns } = await import('./adapters/local/local-runs-registry.js');
    return localPipelineRuns();
  }
  const missing = (['SCORING_STATE_MACHINE_ARN', 'PERSONALIZE_STATE_MACHINE_ARN'] as const).filter(
    (k) => !cfg[k],
  );
  if (missing.length > 0)
    throw new ConfigError(`invalid configuration: ${missing.join(', ')} required (PIPELINE_RUNS=sfn)`);
  const [{ SFNClient }, { SfnPipelineRuns }] = await Promise.all([
    import('@aws-sdk/client-sfn'),
    import('./adapters/sfn/sfn-pipeline-runs.js'),
  ]);
  return new SfnPipelineRuns(new SFNClient({ region: cfg.AWS_REGION }), {
    scoring: cfg.SCORING_STATE_MACHINE_ARN as string,
    personalize: cfg.PERSONALIZE_STATE_MACHINE_ARN as string,
  });
}
