/**
 * Manual pipeline runs (POST/GET /admin/pipeline/runs): the request, the run's public view and the
 * deterministic run id, shared by the Step Functions adapter (AWS) and the in-process runner (`npm start`).
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.js';

/** The two state machines a run can start. */
export const PIPELINE_MACHINES = ['scoring', 'personalize'] as const;
export type PipelineMachine = (typeof PIPELINE_MACHINES)[number];

/** A validated POST /admin/pipeline/runs body. */
export interface RunRequest {
  readonly machine: PipelineMachine;
  /** Personalize retraining only: force hyperparameter optimisation. */
  readonly hpo: boolean;
  /** Nightly scoring only: run the Tune stage even when it is not due. */
  readonly tune?: boolean;
  /**
   * The caller's idempotency key: a retried request with the same key names the same run; without one,
   * the same request on the same UTC day does (as `osusume pipeline start`).
   */
  readonly requestId?: string;
}

const KEYS = new Set(['machine', 'hpo', 'tune', 'requestId']);

/** Parses the body strictly: an unknown or mistyped key is a 400 naming it. */
export function parseRunRequest(body: unknown): RunRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ValidationError('the body must be a JSON object', 'body');
  for (const key of Object.keys(body))
    if (!KEYS.has(key)) throw new ValidationError(`unknown field '${key.slice(0, 64)}'`, key.slice(0, 64));
  const b = body as Record<string, unknown>;
  if (typeof b.machine !== 'string' || !(PIPELINE_MACHINES as readonly string[]).includes(b.machine))
    throw new ValidationError(`machine must be one of ${PIPELINE_MACHINES.join(', ')}`, 'machine');
  if (b.hpo !== undefined && typeof b.hpo !== 'boolean')
    throw new ValidationError('hpo must be a boolean', 'hpo');
  if (b.hpo === true && b.machine !== 'personalize')
    throw new ValidationError('hpo applies to the personalize machine only', 'hpo');
  if (b.tune !== undefined && typeof b.tune !== 'boolean')
    throw new ValidationError('tune must be a boolean', 'tune');
  if (b.tune === true && b.machine !== 'scoring')
    throw new ValidationError('tune applies to the scoring machine only', 'tune');
  if (
    b.requestId !== undefined &&
    (typeof b.requestId !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(b.requestId))
  )
    throw new ValidationError('requestId must be 1-64 characters of A-Z a-z 0-9 _ . : -', 'requestId');
  return {
    machine: b.machine as PipelineMachine,
    hpo: b.hpo === true,
    ...(b.tune === true ? { tune: true } : {}),
    ...(b.requestId !== undefined ? { requestId: b.requestId as string } : {}),
  };
}

/** Execution input of a machine, as the schedule, the CLI and the API pass it. */
export function machineInput(
  machine: PipelineMachine,
  opts: { data?: string; hpo?: boolean; tune?: boolean },
  trigger: string,
): Record<string, unknown> {
  return machine === 'scoring'
    ? { trigger, ...(opts.tune ? { tune: true } : {}), ...(opts.data ? { data: opts.data } : {}) }
    : { trigger, hpo: opts.hpo === true, ...(opts.data ? { data: opts.data } : {}) };
}

/**
 * A deterministic execution name: the same request (machine, input, optional idempotency key) on the same
 * UTC day gets the same name, so retrying a start never launches a second run (Step Functions refuses a
 * second execution of a name). At most 80 characters of [A-Za-z0-9-], as Step Functions allows.
 */
export function executionName(
  machine: PipelineMachine,
  input: unknown,
  now = new Date(),
  requestId?: string,
): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  const hash = createHash('sha256')
    .update(JSON.stringify(input))
    .update(requestId === undefined ? '' : `\0${requestId}`)
    .digest('hex')
    .slice(0, 16);
  return `manual-${machine}-${day}-${hash}`;
}

/** The machine a run id names, when it is one of ours (`manual-<machine>-...`). */
export function machineOfRunId(runId: string): PipelineMachine | undefined {
  const m = /^manual-(scoring|personalize)-/.exec(runId);
  return m ? (m[1] as PipelineMachine) : undefined;
}

/** Run ids are execution names: 1-80 characters of letters, digits, '-' and '_'. */
export function validateRunId(runId: string | undefined): string {
  if (runId === undefined || !/^[A-Za-z0-9_-]{1,80}$/.test(runId))
    throw new ValidationError('runId must be 1-80 characters of A-Z a-z 0-9 _ -', 'runId');
  return runId;
}

export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** Time spent in one state of a run. */
export interface StateTimingView {
  readonly name: string;
  /** Wall time in the state, summed over entries (a Map's inner state counts each iteration). */
  readonly ms: number;
  readonly count: number;
  readonly failures: number;
}

/** A run as the API shows it. */
export interface RunView {
  readonly runId: string;
  readonly machine: PipelineMachine;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly stoppedAt?: string;
  /** On failure: the state that failed (first failing state of the run), its error and cause. */
  readonly failedState?: string;
  readonly error?: string;
  readonly cause?: string;
  /** A succeeded nightly scoring run: the champion it published, e.g. `cf (tuned tonight, validation 0.3512)`. */
  readonly champion?: string;
  /** Per-state timings (GET of one run). */
  readonly states?: StateTimingView[];
}

/** "cf (tuned tonight, validation 0.3512)" from a nightly scoring execution's output, if it names one. */
export function championOfOutput(output: unknown): string | undefined {
  let parsed = output;
  if (typeof output === 'string') {
    try {
      parsed = JSON.parse(output);
    } catch {
      return undefined;
    }
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const tuning = (parsed as { tuning?: { source?: string; tunedAt?: string; champion?: unknown } })?.tuning;
  const c = tuning?.champion as { algorithm?: unknown; score?: unknown } | null | undefined;
  if (!c || typeof c.algorithm !== 'string') return undefined;
  const when = tuning?.source === 'tuned' ? 'tuned tonight' : `tuned ${tuning?.tunedAt ?? 'earlier'}`;
  const score = typeof c.score === 'number' ? `, validation ${c.score.toFixed(4)}` : '';
  return `${c.algorithm} (${when}${score})`;
}
