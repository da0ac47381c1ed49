import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { ValidationError } from '../../domain/errors.js';
import { readServerlessYml, splitHandler } from './serverless-yml.js';
import { handlerModuleUrl } from './repo-root.js';

/** A Task state's local implementation: receives the state's effective input, returns its result. */
export type LocalTask = (input: unknown) => Promise<unknown>;

/** The state machines of statemachines/ by short name (the same files serverless.yml deploys). */
export const STATE_MACHINE_FILES = {
  scoring: 'statemachines/nightly-scoring.asl.json',
  personalize: 'statemachines/personalize-retraining.asl.json',
} as const;
export type MachineName = keyof typeof STATE_MACHINE_FILES;

const FAKE_ACCOUNT = '000000000000';
const FAKE_REGION = 'ap-northeast-1';

type Json = unknown;
interface StateDef {
  Type: string;
  Resource?: unknown;
  Retry?: unknown[];
  Branches?: { States: Record<string, StateDef> }[];
  ItemProcessor?: { States: Record<string, StateDef> };
  Iterator?: { States: Record<string, StateDef> };
}

/** Every state of a definition, nested Parallel branches and Map processors included. */
export function allStates(def: { States: Record<string, StateDef> }): [string, StateDef][] {
  const out: [string, StateDef][] = [];
  for (const [name, s] of Object.entries(def.States)) {
    out.push([name, s]);
    for (const b of s.Branches ?? []) out.push(...allStates(b));
    const proc = s.ItemProcessor ?? s.Iterator;
    if (proc) out.push(...allStates(proc));
  }
  return out;
}

/**
 * Reads an ASL file and replaces each `{"Fn::GetAtt": [<function key>, "Arn"]}` Resource (what
 * serverless-step-functions resolves on deploy) with a Lambda ARN of that function key. Returns the
 * plain ASL and, per Task state, its function key (absent for service integrations).
 */
export function loadDefinition(
  root: string,
  file: string,
): {
  definition: { States: Record<string, StateDef> } & Record<string, Json>;
  taskFunctions: Map<string, string>;
} {
  const definition = JSON.parse(readFileSync(join(root, file), 'utf8'));
  const taskFunctions = new Map<string, string>();
  for (const [name, s] of allStates(definition)) {
    if (s.Type !== 'Task') continue;
    const r = s.Resource as { 'Fn::GetAtt'?: [string, string] } | string;
    if (typeof r === 'object' && r?.['Fn::GetAtt']) {
      const key = r['Fn::GetAtt'][0];
      taskFunctions.set(name, key);
      s.Resource = `arn:aws:lambda:${FAKE_REGION}:${FAKE_ACCOUNT}:function:osusume-local-${key}`;
    }
  }
  return { definition, taskFunctions };
}

/** Function key → handler module and export, from serverless.yml (one source of truth with the deploy). */
export function readFunctionHandlers(root: string): Map<string, { module: string; exportName: string }> {
  const doc = readServerlessYml(root);
  const out = new Map<string, { module: string; exportName: string }>();
  for (const [key, fn] of Object.entries(doc.functions ?? {})) {
    out.set(key, splitHandler(fn.handler));
  }
  return out;
}

/** A state's measured time over the run (Map iterations add up; `count` = entries). */
export interface StateTiming {
  readonly name: string;
  readonly type: string;
  ms: number;
  /** Time spent inside the Task's handler (Tasks only): the CPU-bound part that Lambda would run in parallel. */
  taskMs: number;
  count: number;
  retries: number;
  failures: number;
}

export interface LocalRunResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  /** The Fail state's error / cause (or the runtime error) when FAILED. */
  readonly error?: string;
  readonly cause?: string;
  readonly states: StateTiming[];
  readonly ms: number;
}

export interface ProgressEvent {
  readonly type: 'entered' | 'exited' | 'failed' | 'retried' | 'caught';
  readonly state: string;
  readonly stateType: string;
  /** Map iteration index for states inside a Map. */
  readonly index?: number;
  readonly ms?: number;
  readonly error?: string;
}

export interface LocalRunOptions {
  readonly root: string;
  readonly machine: MachineName;
  readonly input: unknown;
  /** Implementations of service-integration Task resources by ARN (events:putEvents, aws-sdk:personalize:...). */
  readonly services?: Readonly<Record<string, LocalTask>>;
  /** Lets tests inject faults: wraps the implementation of a Task state. */
  readonly wrap?: (state: string, task: LocalTask) => LocalTask;
  /** Every Wait state lasts this long (ms); default 5. */
  readonly waitMs?: number;
  /** Every Retry waits this long between attempts (ms); default 10. */
  readonly retryMs?: number;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/**
 * Runs one of statemachines/*.asl.json with aws-local-stepfunctions: Lambda Tasks call the real handler
 * modules named in serverless.yml, service integrations call `services`, Wait and Retry pauses are
 * shortened. Collects per-state timings from the execution's event log.
 */
export async function runStateMachineLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  const { definition, taskFunctions } = loadDefinition(options.root, STATE_MACHINE_FILES[options.machine]);
  const handlers = readFunctionHandlers(options.root);
  const taskResourceLocalHandlers: Record<string, LocalTask> = {};
  const timings = new Map<string, StateTiming>();
  let lock: Promise<void> = Promise.resolve();
  const timing = (name: string, type: string): StateTiming => {
    let t = timings.get(name);
    if (!t) {
      t = { name, type, ms: 0, taskMs: 0, count: 0, retries: 0, failures: 0 };
      timings.set(name, t);
    }
    return t;
  };
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, s] of allStates(definition)) {
    if (s.Retry) retryIntervalOverrides[name] = options.retryMs ?? 10;
    if (s.Type === 'Wait') waitTimeOverrides[name] = options.waitMs ?? 5;
    if (s.Type !== 'Task') continue;
    let task: LocalTask;
    const key = taskFunctions.get(name);
    if (key !== undefined) {
      const h = handlers.get(key);
      if (!h)
        throw new ValidationError(
          `state ${name}: function "${key}" is not declared in serverless.yml`,
          'machine',
        );
      let loaded: ((event: unknown) => Promise<unknown>) | undefined;
      task = async (input) => {
        loaded ??= (await import(handlerModuleUrl(options.root, h.module)))[h.exportName];
        if (typeof loaded !== 'function')
          throw new ValidationError(`${h.module}.${h.exportName} is not a function`);
        return loaded(input);
      };
    } else {
      const arn = String(s.Resource);
      const service = options.services?.[arn];
      if (!service) throw new ValidationError(`state ${name}: no local implementation of ${arn}`, 'machine');
      task = service;
    }
    const wrapped = options.wrap ? options.wrap(name, task) : task;
    taskResourceLocalHandlers[name] = async (input) => {
      // one handler at a time: branches and shards are separate Lambdas on AWS; sharing one event loop here
      // would make each handler's time include the others' CPU (the total wall time is the same)
      const previous = lock;
      let release = () => {};
      lock = new Promise<void>((r) => {
        release = r;
      });
      await previous;
      const t = performance.now();
      try {
        return await wrapped(input);
      } finally {
        timing(name, 'Task').taskMs += performance.now() - t;
        release();
      }
    };
  }

  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const t0 = performance.now();
  const execution = machine.run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: taskResourceLocalHandlers as never,
      waitTimeOverrides,
      retryIntervalOverrides,
    },
  });
  const entered = new Map<string, number>();
  const consume = (async () => {
    for await (const ev of execution.eventLogs as AsyncIterable<Record<string, unknown>>) {
      const st = ev.state as { name: string; type: string } | undefined;
      if (!st) continue;
      const idKey = `${st.name}#${ev.index ?? ''}`;
      const t = timing(st.name, st.type);
      const index = typeof ev.index === 'number' ? ev.index : undefined;
      const now = Number(ev.timestamp ?? Date.now());
      if (ev.type === 'StateEntered') {
        entered.set(idKey, now);
        t.count++;
        options.onProgress?.({ type: 'entered', state: st.name, stateType: st.type, index });
      } else if (ev.type === 'StateExited') {
        const ms = now - (entered.get(idKey) ?? now);
        t.ms += ms;
        options.onProgress?.({ type: 'exited', state: st.name, stateType: st.type, index, ms });
      } else if (ev.type === 'StateFailed') {
        t.failures++;
        options.onProgress?.({
          type: 'failed',
          state: st.name,
          stateType: st.type,
          index,
          error: String(ev.Error),
        });
      } else if (ev.type === 'StateRetried') {
        t.retries++;
        options.onProgress?.({ type: 'retried', state: st.name, stateType: st.type, index });
      } else if (ev.type === 'StateCaught') {
        options.onProgress?.({ type: 'caught', state: st.name, stateType: st.type, index });
      }
    }
  })();
  let result: LocalRunResult;
  try {
    const output = await execution.result;
    result = { status: 'SUCCEEDED', output, states: [], ms: performance.now() - t0 };
  } catch (err) {
    const e = err instanceof ExecutionError && err.cause instanceof Error ? err.cause : (err as Error);
    result = { status: 'FAILED', error: e.name, cause: e.message, states: [], ms: performance.now() - t0 };
  }
  await consume;
  return { ...result, states: [...timings.values()] };
}
