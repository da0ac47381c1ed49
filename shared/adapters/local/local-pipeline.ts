import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type LocalRunResult,
  type LocalTask,
  type MachineName,
  type ProgressEvent,
  runStateMachineLocally,
} from './state-machine-runner.js';

/** An event the state machines published (EventBridge PutEvents entries), captured locally. */
export interface LocalBusEvent {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: unknown;
}

export interface LocalPipelineOptions {
  readonly root: string;
  readonly machine: MachineName;
  readonly input: unknown;
  readonly log?: (line: string) => void;
  /** Extra or replacement service integrations (the Personalize simulator). */
  readonly services?: Readonly<Record<string, LocalTask>>;
  readonly wrap?: (state: string, task: LocalTask) => LocalTask;
  readonly waitMs?: number;
  readonly retryMs?: number;
  /** Every progress event of the run, as it happens (the API's run status reads them). */
  readonly onProgress?: (event: ProgressEvent) => void;
}

export interface LocalPipelineResult extends LocalRunResult {
  /** EventBridge events the run published (Notify states). */
  readonly events: LocalBusEvent[];
}

/**
 * Points the pipeline's artifact store at a local folder unless one is configured. Must run before the
 * first configuration read (the handlers read it once per process, as on Lambda).
 */
export async function ensureLocalArtifactDir(): Promise<string> {
  process.env.ARTIFACT_DIR ??= await mkdtemp(join(tmpdir(), 'osusume-artifacts-'));
  return process.env.ARTIFACT_DIR;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/**
 * Runs a state machine of statemachines/ locally with the real handlers (against whatever DynamoDB the
 * environment points at), printing progress per state: top-level and branch states as they start and
 * end, Map iterations as counts, retries and failures as they happen.
 */
export async function runLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipelineResult> {
  await ensureLocalArtifactDir();
  const log = options.log ?? (() => undefined);
  const events: LocalBusEvent[] = [];
  const putEvents: LocalTask = async (input) => {
    const entries = ((input as { Entries?: LocalBusEvent[] }).Entries ?? []) as LocalBusEvent[];
    for (const e of entries) {
      events.push(e);
      log(`event ${e.Source ?? ''} ${e.DetailType ?? ''}`);
    }
    return {
      FailedEntryCount: 0,
      Entries: entries.map((_, i) => ({ EventId: `local-${events.length + i}` })),
    };
  };
  const iterations = new Map<string, number>();
  const onProgress = (e: ProgressEvent) => {
    options.onProgress?.(e);
    if (e.index !== undefined) {
      if (e.type === 'exited') iterations.set(e.state, (iterations.get(e.state) ?? 0) + 1);
      else if (e.type === 'retried') log(`  ↻ ${e.state} [shard ${e.index}] retried`);
      else if (e.type === 'failed') log(`  ✗ ${e.state} [shard ${e.index}] ${e.error}`);
      return;
    }
    // polling loops print their Describe calls only; Waits and Choices would double the lines
    if (e.stateType === 'Wait') return;
    if (e.type === 'entered' && e.stateType !== 'Choice' && e.stateType !== 'Pass') log(`→ ${e.state}`);
    else if (e.type === 'exited' && e.stateType !== 'Choice') {
      const n = e.stateType === 'Map' ? iterations.get(mapInner(e.state)) : undefined;
      if (e.stateType !== 'Pass' || /Failed$|Rejected$/.test(e.state))
        log(`✓ ${e.state} ${formatMs(e.ms ?? 0)}${n !== undefined ? ` (${n} shards)` : ''}`);
    } else if (e.type === 'failed') log(`✗ ${e.state}: ${e.error}`);
    else if (e.type === 'retried') log(`↻ ${e.state} retried`);
  };
  const result = await runStateMachineLocally({
    root: options.root,
    machine: options.machine,
    input: options.input,
    services: { 'arn:aws:states:::events:putEvents': putEvents, ...options.services },
    wrap: options.wrap,
    waitMs: options.waitMs,
    retryMs: options.retryMs,
    onProgress,
  });
  return { ...result, events };
}

/** ScoreCfShardsInline → ScoreCfShard (the Map's only inner state, by naming convention). */
function mapInner(mapState: string): string {
  return mapState.replace(/ShardsInline$/, 'Shard').replace(/ShardsDistributed$/, 'ShardDistributed');
}

/**
 * A table of per-state times (slowest first) for the end-of-run summary: wall time in the state and, for
 * Tasks, time inside the handler. Locally Parallel branches share one event loop, so a branch's wall time
 * includes the other branches' CPU; the handler time is what one Lambda would spend.
 */
export function formatTimings(result: LocalRunResult): string[] {
  return [...result.states]
    .filter((s) => s.ms > 0 || s.failures > 0)
    .sort((a, b) => b.ms - a.ms)
    .map(
      (s) =>
        `  ${s.name.padEnd(30)} ${formatMs(s.ms).padStart(9)}` +
        `${s.type === 'Task' ? `  handler ${formatMs(s.taskMs).padStart(8)}` : ''}` +
        `${s.count > 1 ? `  ×${s.count}` : ''}${s.retries ? `  ${s.retries} retries` : ''}${s.failures ? `  ${s.failures} failed` : ''}`,
    );
}

/**
 * Estimated wall time of the same run on AWS, where every Task is its own Lambda and branches and shards run
 * in parallel: Prepare + the slowest branch (train + slowest shard × ⌈shards / concurrency⌉, here 1 round)
 * + Evaluate + QualityGate + Publish, from the handler times (no cold starts, no queueing).
 */
export function criticalPathMs(result: LocalRunResult): number {
  const task = (name: string) => result.states.find((s) => s.name === name);
  const per = (name: string) => {
    const t = task(name);
    return t && t.count > 0 ? t.taskMs / t.count : 0;
  };
  const branch = (alg: string) =>
    per(`Train${alg}`) + Math.max(per(`Score${alg}Shard`), per(`Score${alg}ShardDistributed`));
  return (
    per('Prepare') +
    Math.max(branch('Cf'), branch('Fm'), branch('Session'), per('ComputePopularity')) +
    per('Evaluate') +
    per('QualityGate') +
    per('Publish')
  );
}
