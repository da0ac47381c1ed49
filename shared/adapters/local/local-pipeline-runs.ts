import { ConflictError } from '../../domain/errors.js';
import {
  executionName,
  machineInput,
  type RunRequest,
  type RunStatus,
  championOfOutput,
  type RunView,
  type StateTimingView,
} from '../../domain/pipeline/runs.js';
import type { PipelineRuns } from '../../ports/pipeline-runs.js';
import { runLocalPipeline } from './local-pipeline.js';
import { registerLocalPipelineRuns } from './local-runs-registry.js';
import type { ProgressEvent } from './state-machine-runner.js';

export interface LocalPipelineRunsOptions {
  /** The repository root (statemachines/, serverless.yml). */
  readonly root: string;
  /** The dataset folder the runs snapshot (the one `npm start` serves). */
  readonly data: string;
  /** Execution options every run gets (e.g. npm start's quick FM). */
  readonly options?: Record<string, unknown>;
  /** Called after a run succeeded (the API drops its cached version pointers). */
  readonly onSucceeded?: () => void;
  readonly now?: () => Date;
}

interface LocalRun {
  view: RunView;
  states: Map<string, StateTimingView>;
  done: Promise<void>;
}

/**
 * Manual runs for `npm start`: the same ASL as on AWS, run in this process against the embedded DynamoDB that
 * serves the API, one run at a time (a second start while one runs is a 409 naming it; a retried start of the
 * same request returns the same run). Runs are kept in memory for the life of the process.
 */
export class LocalPipelineRuns implements PipelineRuns {
  private readonly runs = new Map<string, LocalRun>();

  constructor(private readonly opts: LocalPipelineRunsOptions) {}

  async start(request: RunRequest): Promise<{ runId: string; started: boolean; status: RunStatus }> {
    const input = {
      ...machineInput(request.machine, { hpo: request.hpo, tune: request.tune, data: this.opts.data }, 'api'),
      ...(this.opts.options ? { options: this.opts.options } : {}),
    };
    const now = this.opts.now?.() ?? new Date();
    const runId = executionName(request.machine, input, now, request.requestId);
    const existing = this.runs.get(runId);
    if (existing) return { runId, started: false, status: existing.view.status };
    const busy = [...this.runs.values()].find((r) => r.view.status === 'RUNNING');
    if (busy) throw new ConflictError(`run ${busy.view.runId} is still running; start again when it ends`);
    const run: LocalRun = {
      view: { runId, machine: request.machine, status: 'RUNNING', startedAt: now.toISOString() },
      states: new Map(),
      done: Promise.resolve(),
    };
    this.runs.set(runId, run);
    run.done = this.execute(run, input);
    return { runId, started: true, status: 'RUNNING' };
  }

  private async execute(run: LocalRun, input: Record<string, unknown>): Promise<void> {
    let failedState: string | undefined;
    const onProgress = (e: ProgressEvent) => {
      const key = e.state;
      const t = run.states.get(key) ?? { name: key, ms: 0, count: 0, failures: 0 };
      if (e.type === 'exited') run.states.set(key, { ...t, ms: t.ms + (e.ms ?? 0), count: t.count + 1 });
      else if (e.type === 'failed') {
        // the first Task that fails is the one to look at; the Fail states it leads to follow
        if (failedState === undefined && e.stateType === 'Task') failedState = e.state;
        run.states.set(key, { ...t, failures: t.failures + 1 });
      } else run.states.set(key, t);
    };
    try {
      const services = run.view.machine === 'personalize' ? await localPersonalizeServices() : undefined;
      const result = await runLocalPipeline({
        root: this.opts.root,
        machine: run.view.machine,
        input,
        services,
        onProgress,
      });
      run.view = {
        ...run.view,
        status: result.status,
        stoppedAt: new Date().toISOString(),
        ...(result.status === 'FAILED'
          ? {
              failedState: failedState ?? stateOfError(result.error, run.states) ?? 'unknown',
              error: result.error,
              cause: result.cause,
            }
          : {}),
      };
      const champion = result.status === 'SUCCEEDED' ? championOfOutput(result.output) : undefined;
      if (champion) run.view = { ...run.view, champion };
      if (result.status === 'SUCCEEDED') this.opts.onSucceeded?.();
      run.states = new Map(
        result.states.map((s) => [
          s.name,
          { name: s.name, ms: Math.round(s.ms), count: s.count, failures: s.failures },
        ]),
      );
    } catch (err) {
      run.view = {
        ...run.view,
        status: 'FAILED',
        stoppedAt: new Date().toISOString(),
        failedState: failedState ?? 'unknown',
        error: (err as Error).name,
        cause: (err as Error).message,
      };
    }
  }

  async list(limit: number): Promise<RunView[]> {
    return [...this.runs.values()]
      .reverse()
      .slice(0, limit)
      .map((r) => r.view);
  }

  async get(runId: string): Promise<RunView | undefined> {
    const run = this.runs.get(runId);
    if (!run) return undefined;
    const states = [...run.states.values()].map((s) => ({ ...s, ms: Math.round(s.ms) }));
    return { ...run.view, states };
  }

  /** Resolves when the run has ended (tests and shutdown). */
  async settled(runId: string): Promise<void> {
    await this.runs.get(runId)?.done;
  }
}

/** A Fail state's error starts with the state that raised it (`QualityGate.Rejected`, `Prepare.DataError`). */
function stateOfError(error: string | undefined, states: ReadonlyMap<string, unknown>): string | undefined {
  const first = error?.split('.')[0];
  return first !== undefined && states.has(first) ? first : undefined;
}

/** Sets up the process's local runner (`osusume start` does, before serving) and registers it. */
export function configureLocalPipelineRuns(options: LocalPipelineRunsOptions): LocalPipelineRuns {
  const runs = new LocalPipelineRuns(options);
  registerLocalPipelineRuns(runs);
  return runs;
}

/** The simulator's integrations; its ssm:putParameter writes the state table this server reads. */
async function localPersonalizeServices() {
  const [{ PersonalizeSimulator }, { StateParameterStore }, { getPipelineDeps }] = await Promise.all([
    import('./personalize-simulator.js'),
    import('./state-parameters.js'),
    import('../../pipeline/pipeline-container.js'),
  ]);
  return new PersonalizeSimulator({
    parameters: new StateParameterStore(getPipelineDeps().state),
  }).services();
}
