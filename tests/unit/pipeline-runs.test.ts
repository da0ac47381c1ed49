import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SfnPipelineRuns, timingsOf } from '../../shared/adapters/sfn/sfn-pipeline-runs.js';
import { parseConfig } from '../../shared/config/config.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { executionName, parseRunRequest } from '../../shared/domain/pipeline/runs.js';
import { buildPipelineRuns } from '../../shared/pipeline-runs-container.js';
import { getRun, listRuns } from '../../shared/use-cases/pipeline-runs.js';
import { TABLES_ENV } from '../helpers/config-env.js';

const ARNS = {
  scoring: 'arn:aws:states:ap-northeast-1:123456789012:stateMachine:osusume-prod-nightly-scoring',
  personalize: 'arn:aws:states:ap-northeast-1:123456789012:stateMachine:osusume-prod-personalize-retraining',
};
const DAY = new Date('2026-12-01T10:00:00Z');
const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());
const runs = () => new SfnPipelineRuns(new SFNClient({}), ARNS, () => DAY);

describe('parseRunRequest', () => {
  it('accepts a scoring run', () => {
    expect(parseRunRequest({ machine: 'scoring' })).toEqual({ machine: 'scoring', hpo: false });
  });

  it('rejects an unknown field, naming it', () => {
    expect(() => parseRunRequest({ machine: 'scoring', hpoo: true })).toThrow(/hpoo/);
  });

  it('rejects an unknown machine', () => {
    expect(() => parseRunRequest({ machine: 'all' })).toThrow(ValidationError);
  });

  it('rejects hpo for the scoring machine', () => {
    expect(() => parseRunRequest({ machine: 'scoring', hpo: true })).toThrow(/personalize/);
  });

  it('accepts tune for the scoring machine and rejects it for the personalize machine', () => {
    expect(parseRunRequest({ machine: 'scoring', tune: true })).toEqual({
      machine: 'scoring',
      hpo: false,
      tune: true,
    });
    expect(() => parseRunRequest({ machine: 'personalize', tune: true })).toThrow(
      /tune applies to the scoring/,
    );
    expect(() => parseRunRequest({ machine: 'scoring', tune: 'yes' })).toThrow(/tune must be a boolean/);
  });

  it('rejects a requestId with characters an execution name cannot hold', () => {
    expect(() => parseRunRequest({ machine: 'scoring', requestId: 'a b' })).toThrow(/requestId/);
  });

  it('treats __proto__ as an unknown field', () => {
    expect(() => parseRunRequest(JSON.parse('{"machine":"scoring","__proto__":{"x":1}}'))).toThrow(
      /__proto__/,
    );
  });
});

describe('executionName', () => {
  it('names the same request on the same day alike', () => {
    expect(executionName('scoring', { a: 1 }, DAY)).toBe(executionName('scoring', { a: 1 }, DAY));
  });

  it('names a request with another requestId differently', () => {
    expect(executionName('scoring', {}, DAY, 'a')).not.toBe(executionName('scoring', {}, DAY, 'b'));
  });

  it('fits Step Functions execution names', () => {
    expect(executionName('personalize', { hpo: true }, DAY, 'x'.repeat(64))).toMatch(/^[A-Za-z0-9-]{1,80}$/);
  });
});

describe('SfnPipelineRuns', () => {
  it('starts the machine with the deterministic name of the request and its input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'x' });
    const r = await runs().start({ machine: 'personalize', hpo: true });
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(input?.stateMachineArn).toBe(ARNS.personalize);
    expect(JSON.parse(input?.input ?? '{}')).toEqual({ trigger: 'api', hpo: true });
    expect(r).toEqual({ runId: input?.name, started: true, status: 'RUNNING' });
    expect(r.runId).toMatch(/^manual-personalize-20261201-/);
  });

  it('starts a scoring run that tunes tonight with tune in its input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'x' });
    await runs().start({ machine: 'scoring', hpo: false, tune: true });
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(JSON.parse(input?.input ?? '{}')).toEqual({ trigger: 'api', tune: true });
  });

  it('answers a retried start with the execution it already started', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }))
      .on(DescribeExecutionCommand)
      .resolves({ status: 'SUCCEEDED' });
    const r = await runs().start({ machine: 'scoring', hpo: false });
    expect(r).toMatchObject({ started: false, status: 'SUCCEEDED' });
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input.executionArn).toBe(
      `${ARNS.scoring.replace(':stateMachine:', ':execution:')}:${r.runId}`,
    );
  });

  it('lists both machines newest first', async () => {
    sfn
      .on(ListExecutionsCommand, { stateMachineArn: ARNS.scoring })
      .resolves({
        executions: [
          {
            executionArn: 'a',
            stateMachineArn: ARNS.scoring,
            name: 'n1',
            status: 'SUCCEEDED',
            startDate: new Date('2026-11-29T00:00:00Z'),
          },
        ],
      })
      .on(ListExecutionsCommand, { stateMachineArn: ARNS.personalize })
      .resolves({
        executions: [
          {
            executionArn: 'b',
            stateMachineArn: ARNS.personalize,
            name: 'p1',
            status: 'RUNNING',
            startDate: new Date('2026-11-30T00:00:00Z'),
          },
        ],
      });
    const list = await listRuns(runs(), { limit: '5' });
    expect(list.map((r) => [r.runId, r.machine, r.status])).toEqual([
      ['p1', 'personalize', 'RUNNING'],
      ['n1', 'scoring', 'SUCCEEDED'],
    ]);
  });

  it('reports a failed run with its failing state, error and per-state times', async () => {
    const t = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s));
    const events: HistoryEvent[] = [
      { id: 1, type: 'ExecutionStarted', timestamp: t(0) },
      {
        id: 2,
        type: 'TaskStateEntered',
        timestamp: t(0),
        previousEventId: 1,
        stateEnteredEventDetails: { name: 'Prepare' },
      },
      {
        id: 3,
        type: 'TaskStateExited',
        timestamp: t(4),
        previousEventId: 2,
        stateExitedEventDetails: { name: 'Prepare' },
      },
      {
        id: 4,
        type: 'TaskStateEntered',
        timestamp: t(4),
        previousEventId: 3,
        stateEnteredEventDetails: { name: 'TrainFm' },
      },
      { id: 5, type: 'LambdaFunctionScheduled', timestamp: t(4), previousEventId: 4 },
      { id: 6, type: 'LambdaFunctionFailed', timestamp: t(9), previousEventId: 5 },
      {
        id: 7,
        type: 'TaskStateExited',
        timestamp: t(9),
        previousEventId: 6,
        stateExitedEventDetails: { name: 'TrainFm' },
      },
      { id: 8, type: 'ExecutionFailed', timestamp: t(9), previousEventId: 7 },
    ];
    sfn
      .on(DescribeExecutionCommand)
      .resolves({
        status: 'FAILED',
        startDate: t(0),
        stopDate: t(9),
        error: 'ScoreAlgorithms.TrainFm.DataError',
        cause: 'bad row',
      })
      .on(GetExecutionHistoryCommand)
      .resolves({ events });
    const run = await getRun(runs(), 'manual-scoring-20261201-0123456789abcdef');
    expect(run).toMatchObject({
      status: 'FAILED',
      failedState: 'TrainFm',
      error: 'ScoreAlgorithms.TrainFm.DataError',
    });
    expect(run.states).toEqual([
      { name: 'Prepare', ms: 4000, count: 1, failures: 0 },
      { name: 'TrainFm', ms: 5000, count: 1, failures: 1 },
    ]);
  });

  it('looks a scheduled execution up on both machines', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', startDate: DAY });
    sfn
      .on(DescribeExecutionCommand, {
        executionArn: `${ARNS.scoring.replace(':stateMachine:', ':execution:')}:sched-1`,
      })
      .rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    expect((await getRun(runs(), 'sched-1')).machine).toBe('personalize');
  });

  it('shows the champion a succeeded scoring run published', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'SUCCEEDED',
      startDate: DAY,
      output: JSON.stringify({
        tuning: {
          source: 'stored',
          tunedAt: '2026-11-28T18:00:00Z',
          champion: { algorithm: 'fm', score: 0.3 },
        },
      }),
    });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    expect((await getRun(runs(), 'manual-scoring-20261201-x')).champion).toBe(
      'fm (tuned 2026-11-28T18:00:00Z, validation 0.3000)',
    );
  });

  it('answers 404 for a run on neither machine', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    await expect(getRun(runs(), 'nope')).rejects.toMatchObject({ status: 404 });
  });

  it('rejects a run id that is not an execution name', async () => {
    await expect(getRun(runs(), '../x')).rejects.toBeInstanceOf(ValidationError);
  });

  it('counts each Map iteration of a state in its timing', () => {
    const t = (ms: number) => new Date(ms);
    const enter = (id: number, at: number): HistoryEvent => ({
      id,
      type: 'TaskStateEntered' as const,
      timestamp: t(at),
      stateEnteredEventDetails: { name: 'ScoreCfShard' },
    });
    const exit = (id: number, at: number): HistoryEvent => ({
      id,
      type: 'TaskStateExited',
      timestamp: t(at),
      stateExitedEventDetails: { name: 'ScoreCfShard' },
    });
    const { states } = timingsOf([enter(1, 0), enter(2, 10), exit(3, 100), exit(4, 130)]);
    expect(states).toEqual([{ name: 'ScoreCfShard', ms: 220, count: 2, failures: 0 }]);
  });
});

describe('buildPipelineRuns', () => {
  const base = TABLES_ENV;

  it('fails at start without the state machine ARNs, naming them', async () => {
    await expect(buildPipelineRuns(parseConfig(base))).rejects.toThrow(/SCORING_STATE_MACHINE_ARN/);
  });

  it('answers 503 in local mode outside osusume start', async () => {
    const runs = await buildPipelineRuns(parseConfig({ ...base, PIPELINE_RUNS: 'local' }));
    await expect(runs.list(5)).rejects.toMatchObject({ status: 503, code: 'PipelineRunsUnavailable' });
  });
});
