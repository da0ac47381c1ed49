import type { Dataset } from '../../domain/data/dataset.js';
import { DomainError } from '../../domain/errors.js';
import { formatTimings, runLocalPipeline } from './local-pipeline.js';
import { REPO_ROOT } from './repo-root.js';

/**
 * Training options `npm start` passes to the nightly run: FM with fewer epochs and factors and no early
 * stopping split, so the whole pipeline fits the 30 s start budget on the default shop. A real nightly
 * run (schedule, `osusume pipeline run`) uses the trainers' defaults.
 */
export const QUICK_START_OPTIONS = {
  // the API default page; longer requests are topped up from popularity by the request path
  numResults: 25,
  // a fresh local DynamoDB was never tuned: keep the first night's Tune stage short
  tuneTrials: 4,
  trainOptions: {
    fm: { epochs: 5, factors: 32, validationFraction: 0 },
    // the session arm's own validation search: a few evaluations on the sample shop
    session: { knn: { tuneBudget: 4 } },
    // the blend's weight search without FM (the slowest member), on one fold and a sample of validation users
    blend: { members: ['cf', 'ease', 'ials'], validationUsers: 300, folds: 1 },
  },
} as const;

/**
 * What `npm start` publishes before serving: the nightly scoring state machine (statemachines/, the
 * same ASL as on AWS) run locally with the real pipeline handlers against the embedded DynamoDB, so
 * the API serves CF, FM, session and popularity results. A failed run fails the start.
 */
export async function runLocalPublish(
  _dataset: Dataset,
  log: (line: string) => void,
  dataDir?: string,
): Promise<void> {
  if (!dataDir) throw new DomainError('LocalPublish', 'the local pipeline needs the dataset folder');
  log('running the nightly scoring state machine locally (statemachines/nightly-scoring.asl.json)');
  const result = await runLocalPipeline({
    root: REPO_ROOT,
    machine: 'scoring',
    input: { data: dataDir, trigger: 'npm-start', options: QUICK_START_OPTIONS },
    log: (line) => log(`  ${line}`),
  });
  if (result.status !== 'SUCCEEDED') {
    throw new DomainError('PipelineFailed', `nightly scoring failed: ${result.error}: ${result.cause}`);
  }
  const out = result.output as { version: string; published: { algorithm: string }[] };
  log(
    `published version ${out.version} for ${out.published.map((p) => p.algorithm).join(', ')} in ${(result.ms / 1000).toFixed(1)} s`,
  );
  for (const line of formatTimings(result).slice(0, 6)) log(line);
}
