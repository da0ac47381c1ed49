import { championOfOutput } from '../../domain/pipeline/runs.js';
import { createHash } from 'node:crypto';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { NotFoundError } from '../../domain/errors.js';

/** Deployed state machine names per short name (serverless.yml stepFunctions.stateMachines.*.name). */
export const MACHINE_NAMES = {
  scoring: (stage: string) => `osusume-${stage}-nightly-scoring`,
  personalize: (stage: string) => `osusume-${stage}-personalize-retraining`,
} as const;
export type DeployedMachine = keyof typeof MACHINE_NAMES;

/** Finds a state machine's ARN by name (paginates ListStateMachines). */
export async function findStateMachineArn(client: SFNClient, name: string): Promise<string> {
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListStateMachinesCommand({ maxResults: 1000, nextToken }));
    const hit = page.stateMachines?.find((m) => m.name === name);
    if (hit?.stateMachineArn) return hit.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken);
  throw new NotFoundError(`state machine ${name} not found (deployed with this --stage and region?)`);
}

/**
 * A deterministic execution name: the same request (machine, input) on the same UTC day gets the same
 * name, so retrying a start never launches a second run (Step Functions rejects or dedupes the name).
 */
export function executionName(machine: DeployedMachine, input: unknown, now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  const hash = createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 16);
  return `manual-${machine}-${day}-${hash}`;
}

export interface StartResult {
  readonly executionArn: string;
  readonly name: string;
  /** False when an execution with this name already existed (nothing new was started). */
  readonly started: boolean;
  readonly status?: string;
}

/** Starts a pipeline execution with a deterministic name; an existing one with that name is reported, not duplicated. */
export async function startPipeline(
  client: SFNClient,
  options: { stage: string; machine: DeployedMachine; input: unknown; name?: string; now?: Date },
): Promise<StartResult> {
  const stateMachineArn = await findStateMachineArn(client, MACHINE_NAMES[options.machine](options.stage));
  const name = options.name ?? executionName(options.machine, options.input, options.now);
  try {
    const out = await client.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(options.input) }),
    );
    return { executionArn: out.executionArn ?? '', name, started: true };
  } catch (err) {
    if (!(err instanceof ExecutionAlreadyExists) && (err as Error).name !== 'ExecutionAlreadyExists')
      throw err;
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const d = await client.send(new DescribeExecutionCommand({ executionArn }));
    return { executionArn, name, started: false, status: d.status };
  }
}

export interface RunSummary {
  readonly name: string;
  readonly status: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
  /** For a failed run: the Fail state's error and cause (they name the failed state). */
  readonly error?: string;
  readonly cause?: string;
  /** For a succeeded nightly scoring run: the champion it published and whether it was tuned that night. */
  readonly champion?: string;
}

/** Recent executions, newest first; failed ones carry their error and cause, succeeded ones the champion. */
export async function listPipelineRuns(
  client: SFNClient,
  options: { stage: string; machine: DeployedMachine; limit?: number },
): Promise<RunSummary[]> {
  const stateMachineArn = await findStateMachineArn(client, MACHINE_NAMES[options.machine](options.stage));
  const page = await client.send(
    new ListExecutionsCommand({ stateMachineArn, maxResults: options.limit ?? 10 }),
  );
  const runs: RunSummary[] = [];
  for (const e of page.executions ?? []) {
    let error: string | undefined;
    let cause: string | undefined;
    let champion: string | undefined;
    if (e.status === 'FAILED' || e.status === 'TIMED_OUT' || e.status === 'ABORTED') {
      const d = await client.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
      error = d.error;
      cause = d.cause;
    } else if (e.status === 'SUCCEEDED' && options.machine === 'scoring') {
      const d = await client.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
      champion = championOfOutput(d.output);
    }
    runs.push({
      name: e.name ?? '',
      status: e.status ?? 'UNKNOWN',
      startDate: e.startDate,
      stopDate: e.stopDate,
      error,
      cause,
      ...(champion ? { champion } : {}),
    });
  }
  return runs;
}
