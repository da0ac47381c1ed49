import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  executionName,
  championOfOutput,
  machineInput,
  machineOfRunId,
  PIPELINE_MACHINES,
  type PipelineMachine,
  type RunRequest,
  type RunStatus,
  type RunView,
  type StateTimingView,
} from '../../domain/pipeline/runs.js';
import type { PipelineRuns } from '../../ports/pipeline-runs.js';

/** History events read per run at most (a run with 1,000-shard Maps has more; timings then cover the start). */
const MAX_HISTORY_PAGES = 5;

const status = (s: ExecutionStatus | string | undefined): RunStatus => (s ?? 'RUNNING') as RunStatus;

/**
 * Manual runs on AWS: StartExecution with the deterministic name of the request (a retried request finds
 * the execution it started), ListExecutions over both machines, DescribeExecution and the execution history
 * for per-state timings and the failing state.
 */
export class SfnPipelineRuns implements PipelineRuns {
  constructor(
    private readonly sfn: SFNClient,
    private readonly machines: Readonly<Record<PipelineMachine, string>>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private executionArn(machine: PipelineMachine, name: string): string {
    return `${this.machines[machine].replace(':stateMachine:', ':execution:')}:${name}`;
  }

  async start(request: RunRequest): Promise<{ runId: string; started: boolean; status: RunStatus }> {
    const input = machineInput(request.machine, { hpo: request.hpo, tune: request.tune }, 'api');
    const runId = executionName(request.machine, input, this.now(), request.requestId);
    try {
      await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.machines[request.machine],
          name: runId,
          input: JSON.stringify(input),
        }),
      );
      return { runId, started: true, status: 'RUNNING' };
    } catch (err) {
      if (!(err instanceof ExecutionAlreadyExists) && (err as Error).name !== 'ExecutionAlreadyExists')
        throw err;
      const d = await this.sfn.send(
        new DescribeExecutionCommand({ executionArn: this.executionArn(request.machine, runId) }),
      );
      return { runId, started: false, status: status(d.status) };
    }
  }

  async list(limit: number): Promise<RunView[]> {
    const pages = await Promise.all(
      PIPELINE_MACHINES.map(async (machine) => {
        const page = await this.sfn.send(
          new ListExecutionsCommand({ stateMachineArn: this.machines[machine], maxResults: limit }),
        );
        return (page.executions ?? []).map(
          (e): RunView => ({
            runId: e.name ?? '',
            machine,
            status: status(e.status),
            startedAt: (e.startDate ?? new Date(0)).toISOString(),
            ...(e.stopDate ? { stoppedAt: e.stopDate.toISOString() } : {}),
          }),
        );
      }),
    );
    return pages
      .flat()
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
      .slice(0, limit);
  }

  async get(runId: string): Promise<RunView | undefined> {
    // scheduled executions have no machine in their name: try both
    const known = machineOfRunId(runId);
    for (const machine of known ? [known] : PIPELINE_MACHINES) {
      const executionArn = this.executionArn(machine, runId);
      let d: DescribeExecutionCommandOutput;
      try {
        d = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      } catch (err) {
        if (err instanceof ExecutionDoesNotExist || (err as Error).name === 'ExecutionDoesNotExist') continue;
        throw err;
      }
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
        const h = await this.sfn.send(
          new GetExecutionHistoryCommand({
            executionArn,
            maxResults: 1000,
            nextToken,
            includeExecutionData: false,
          }),
        );
        events.push(...(h.events ?? []));
        nextToken = h.nextToken;
        if (!nextToken) break;
      }
      const { states, failedState } = timingsOf(events);
      const failed = d.status !== 'RUNNING' && d.status !== 'SUCCEEDED';
      const champion = d.status === 'SUCCEEDED' ? championOfOutput(d.output) : undefined;
      return {
        runId,
        machine,
        status: status(d.status),
        startedAt: (d.startDate ?? new Date(0)).toISOString(),
        ...(d.stopDate ? { stoppedAt: d.stopDate.toISOString() } : {}),
        ...(failed ? { failedState: failedState ?? 'unknown', error: d.error, cause: d.cause } : {}),
        ...(champion ? { champion } : {}),
        states,
      };
    }
    return undefined;
  }
}

/**
 * Per-state wall time from an execution history: each StateEntered is closed by the next StateExited of the
 * same name (Map iterations interleave, so entries are matched per name in order); the failing state is the
 * state entered last before the first Task / Lambda failure.
 */
export function timingsOf(events: readonly HistoryEvent[]): {
  states: StateTimingView[];
  failedState?: string;
} {
  const open = new Map<string, number[]>();
  const byName = new Map<string, { ms: number; count: number; failures: number }>();
  const entered = new Map<number, string>();
  const byId = new Map(events.map((x) => [x.id ?? 0, x]));
  let failedState: string | undefined;
  for (const e of events) {
    const t = e.timestamp?.getTime() ?? 0;
    const entry = e.stateEnteredEventDetails;
    const exit = e.stateExitedEventDetails;
    if (entry?.name) {
      entered.set(e.id ?? 0, entry.name);
      const q = open.get(entry.name) ?? [];
      q.push(t);
      open.set(entry.name, q);
      if (!byName.has(entry.name)) byName.set(entry.name, { ms: 0, count: 0, failures: 0 });
    } else if (exit?.name) {
      const start = open.get(exit.name)?.shift();
      const s = byName.get(exit.name);
      if (s && start !== undefined) {
        s.ms += t - start;
        s.count += 1;
      }
    } else if (/(TaskFailed|LambdaFunctionFailed|TaskTimedOut|LambdaFunctionTimedOut)$/.test(e.type ?? '')) {
      // the previous event chain leads back to the Task state that was entered
      let id = e.previousEventId;
      let name: string | undefined;
      for (let hops = 0; id !== undefined && hops < 10 && name === undefined; hops++) {
        name = entered.get(id);
        id = byId.get(id)?.previousEventId;
      }
      if (name) {
        const s = byName.get(name);
        if (s) s.failures += 1;
        failedState ??= name;
      }
    }
  }
  return { states: [...byName.entries()].map(([name, s]) => ({ name, ...s })), failedState };
}
