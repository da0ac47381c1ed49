import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  executionName,
  listPipelineRuns,
  startPipeline,
} from '../../shared/adapters/sfn/pipeline-control.js';
import { NotFoundError } from '../../shared/domain/errors.js';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:ap-northeast-1:123456789012:stateMachine:osusume-prod-nightly-scoring';
const client = new SFNClient({ region: 'ap-northeast-1' });
const NOW = new Date('2026-11-28T03:00:00Z');

beforeEach(() => {
  sfn.reset();
  sfn.on(ListStateMachinesCommand).resolves({
    stateMachines: [
      { name: 'other', stateMachineArn: 'arn:other', type: 'STANDARD', creationDate: NOW },
      { name: 'osusume-prod-nightly-scoring', stateMachineArn: ARN, type: 'STANDARD', creationDate: NOW },
    ],
  });
});

describe('osusume pipeline start/status (Step Functions API)', () => {
  it('starts the stage machine with a name derived from the request', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: NOW });
    const input = { trigger: 'manual', data: 's3://b/datasets/current' };
    const r = await startPipeline(client, { stage: 'prod', machine: 'scoring', input, now: NOW });
    expect(r.started).toBe(true);
    const call = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(call.stateMachineArn).toBe(ARN);
    expect(call.name).toBe(executionName('scoring', input, NOW));
    expect(JSON.parse(call.input ?? '')).toEqual(input);
  });

  it('gives the same request on the same day the same execution name and a different input another', () => {
    const a = executionName('scoring', { trigger: 'manual' }, NOW);
    expect(executionName('scoring', { trigger: 'manual' }, new Date('2026-11-28T23:59:00Z'))).toBe(a);
    expect(executionName('scoring', { trigger: 'manual', data: 's3://x/y' }, NOW)).not.toBe(a);
    expect(a).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('reports the existing run instead of starting a second one when the request is retried', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ status: 'RUNNING', executionArn: 'x', stateMachineArn: ARN, startDate: NOW });
    const r = await startPipeline(client, { stage: 'prod', machine: 'scoring', input: {}, now: NOW });
    expect(r.started).toBe(false);
    expect(r.status).toBe('RUNNING');
    expect(r.executionArn).toContain(':execution:osusume-prod-nightly-scoring:manual-scoring-20261128-');
  });

  it('names the missing state machine when the stage is not deployed', async () => {
    await expect(startPipeline(client, { stage: 'nope', machine: 'scoring', input: {} })).rejects.toThrow(
      NotFoundError,
    );
  });

  it('lists recent executions with the error and cause of failed ones and the champion of succeeded ones', async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: 'e2', stateMachineArn: ARN, name: 'n2', status: 'FAILED', startDate: NOW },
        { executionArn: 'e1', stateMachineArn: ARN, name: 'n1', status: 'SUCCEEDED', startDate: NOW },
      ],
    });
    sfn.on(DescribeExecutionCommand, { executionArn: 'e2' }).resolves({
      executionArn: 'e2',
      stateMachineArn: ARN,
      status: 'FAILED',
      startDate: NOW,
      error: 'ScoreAlgorithms.TrainFm.DataError',
      cause: 'ScoreAlgorithms failed: TrainFm failed: bad model',
    });
    sfn.on(DescribeExecutionCommand, { executionArn: 'e1' }).resolves({
      executionArn: 'e1',
      stateMachineArn: ARN,
      status: 'SUCCEEDED',
      startDate: NOW,
      output: JSON.stringify({
        tuning: { source: 'tuned', champion: { algorithm: 'cf', score: 0.35123, params: {} } },
      }),
    });
    const runs = await listPipelineRuns(client, { stage: 'prod', machine: 'scoring' });
    expect(runs.map((r) => [r.name, r.status, r.error, r.champion])).toEqual([
      ['n2', 'FAILED', 'ScoreAlgorithms.TrainFm.DataError', undefined],
      ['n1', 'SUCCEEDED', undefined, 'cf (tuned tonight, validation 0.3512)'],
    ]);
  });
});
