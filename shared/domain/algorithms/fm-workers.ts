/**
 * Trains FM ensemble members in worker threads while the calling thread blocks (Atomics.wait) and reads
 * the results synchronously (receiveMessageOnPort), so trainFm stays synchronous and its callers (registry,
 * evaluation, nightly pipeline) need no change. Each worker gets a structured clone of the dataset and a
 * fixed share of the members, and returns each member serialised (serializeFm), so the model is identical
 * to training the members in this thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { Dataset } from '../data/dataset.js';
import { DomainError } from '../errors.js';
import type { FmOptions } from './fm.js';
import type { FmModel, FmTrainingInfo } from './fm-model.js';
import { deserializeFm } from './fm-serialize.js';

/** Plain-JS entry, so a missing TypeScript loader is reported as "unavailable" instead of a dead worker. */
const ENTRY = new URL('./fm-worker.mjs', import.meta.url);

/** One member's result as posted by fm-worker-job.ts. */
export interface MemberResult {
  readonly member: number;
  readonly bytes?: Uint8Array;
  readonly training?: FmTrainingInfo;
  readonly error?: string;
  /** The worker could not load the trainer (e.g. no TypeScript loader in this process). */
  readonly unavailable?: boolean;
}

/**
 * Trains `options.length` members on `threads` workers and returns them in member order, or undefined
 * when workers are unavailable (the caller then trains in its own thread). Throws a DomainError when a
 * member fails.
 */
export function trainInWorkers(
  dataset: Dataset,
  options: readonly FmOptions[],
  threads: number,
): FmModel[] | undefined {
  if (ENTRY.protocol !== 'file:' || !existsSync(fileURLToPath(ENTRY))) return undefined;
  // [0] counts events (a result posted or a worker exiting), [1] counts exited workers
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  const results: (MemberResult | undefined)[] = new Array(options.length);
  let received = 0;
  let unavailable = false;
  let failure: string | undefined;
  try {
    for (let t = 0; t < threads; t++) {
      const jobs: { member: number; options: FmOptions }[] = [];
      for (let m = t; m < options.length; m += threads) jobs.push({ member: m, options: options[m] });
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(ENTRY, {
        workerData: { dataset, jobs, port: port2, signal },
        transferList: [port2],
      });
      worker.unref();
      ports.push(port1);
      workers.push(worker);
    }
    while (received < options.length) {
      const events = Atomics.load(signal, 0);
      const exited = Atomics.load(signal, 1);
      for (const port of ports) {
        for (let msg = receiveMessageOnPort(port); msg; msg = receiveMessageOnPort(port)) {
          const r = msg.message as MemberResult;
          received++;
          if (r.unavailable) unavailable = true;
          else if (r.error !== undefined) failure ??= `member ${r.member}: ${r.error}`;
          else results[r.member] = r;
        }
      }
      if (received >= options.length) break;
      // every worker is gone and its messages were drained above: the missing members will never come
      if (exited >= threads) {
        failure ??= 'a worker exited without its results';
        break;
      }
      Atomics.wait(signal, 0, events, 1000);
    }
  } finally {
    for (const w of workers) void w.terminate();
    for (const p of ports) p.close();
  }
  if (unavailable) return undefined;
  if (failure !== undefined)
    throw new DomainError('FmTrainingFailed', `FM ensemble training failed: ${failure}`);
  return results.map((r) => {
    const model = deserializeFm(r!.bytes!);
    model.training = r!.training;
    return model;
  });
}
