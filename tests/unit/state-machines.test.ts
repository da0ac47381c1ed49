import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import validator from 'asl-validator';
import { scoredEntries } from '../../shared/domain/algorithms/registry.js';
import { stateNameOf } from '../../shared/pipeline/nightly-asl.js';
import { describe, expect, it } from 'vitest';
import {
  allStates,
  loadDefinition,
  readFunctionHandlers,
  STATE_MACHINE_FILES,
} from '../../shared/adapters/local/state-machine-runner.js';
import { ROOT } from '../helpers/start-process.js';

// The packaged CloudFormation template (state machines, schedules, roles) is checked in
// serverless-template.test.ts, which packages once; here: the ASL files themselves.
describe.each(Object.entries(STATE_MACHINE_FILES))('statemachines: %s', (_name, file) => {
  const { definition, taskFunctions } = loadDefinition(ROOT, file);

  it('is valid Amazon States Language (asl-validator)', () => {
    const result = validator(definition as never);
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('is the file serverless.yml deploys', () => {
    expect(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')).toContain(`definition: \${file(${file})}`);
  });

  it('only invokes Lambda functions declared in serverless.yml', () => {
    const handlers = readFunctionHandlers(ROOT);
    for (const [state, key] of taskFunctions) expect(handlers.has(key), `${state} → ${key}`).toBe(true);
  });

  it('catches every failure of a top-level Task into a Fail state that names the state', () => {
    const states = definition.States as Record<string, { Type: string; Catch?: { Next: string }[] }>;
    for (const [name, s] of Object.entries(states)) {
      if (s.Type !== 'Task' || name.startsWith('Notify')) continue;
      expect(s.Catch?.[0]?.Next, name).toBe(`${name}Failed`);
    }
    expect(states.Failed?.Type).toBe('Fail');
  });
});

describe('nightly scoring shard Maps', () => {
  const { definition } = loadDefinition(ROOT, STATE_MACHINE_FILES.scoring);
  const maps = allStates(definition).filter(([n]) => /Shards(Inline|Distributed)$/.test(n)) as unknown as [
    string,
    Record<string, unknown> & {
      ItemProcessor: {
        ProcessorConfig: { Mode: string };
        States: Record<string, { Retry: { ErrorEquals: string[] }[] }>;
      };
    },
  ][];

  it('has an inline and a distributed Map per scored algorithm, fed by the plan (no ItemReader)', () => {
    expect(maps.map(([n]) => n).sort()).toEqual(
      scoredEntries()
        .map((e) => stateNameOf(e.name))
        .flatMap((a) => [`Score${a}ShardsDistributed`, `Score${a}ShardsInline`])
        .sort(),
    );
    for (const [, m] of maps) {
      expect(m.ItemsPath).toBe('$.run.shards');
      expect(m.ItemReader).toBeUndefined();
      expect(m.MaxConcurrency).toBeGreaterThan(0);
    }
  });

  it('tolerates no failed shard and retries throttling and timeouts with backoff', () => {
    for (const [name, m] of maps) {
      if (m.ItemProcessor.ProcessorConfig.Mode === 'DISTRIBUTED')
        expect(m.ToleratedFailurePercentage, name).toBe(0);
      const [task] = Object.values(m.ItemProcessor.States);
      const errors = task.Retry.flatMap((r) => r.ErrorEquals);
      expect(errors).toEqual(expect.arrayContaining(['Lambda.TooManyRequestsException', 'States.Timeout']));
      expect((task.Retry[0] as unknown as { BackoffRate: number }).BackoffRate).toBeGreaterThan(1);
    }
  });
});
