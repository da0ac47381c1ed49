/**
 * The session-kNN search's validation evaluations on several threads: each evaluation's targets are dealt
 * round-robin to this thread and `threads − 1` workers (each holds a clone of the index, rules and
 * validation sessions, sent once), and the calling thread blocks (Atomics.wait) until the workers' shares
 * are back, so the search stays synchronous. Every target is ranked by the same code with the same
 * parameters wherever it runs, so the search chooses exactly what it chooses on one thread; a worker that
 * cannot start or fails has its share ranked here instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { SessionKnnParams } from './session-knn.js';
import { type EvaluationData, rankTargets } from './target-ranks.js';

/** Plain-JS entry, so a missing TypeScript loader is reported as "unavailable" instead of a dead worker. */
const ENTRY = new URL('./evaluation-worker.mjs', import.meta.url);

/** A worker's answer to one evaluation (its targets' entries of full-length arrays). */
export interface ShareResult {
  readonly id: number;
  readonly ranks?: Int32Array;
  readonly work?: Float64Array;
  readonly error?: string;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Set once the worker failed or could not load: its share is then ranked in this thread. */
  broken: boolean;
}

export class EvaluationPool {
  private evaluations = 0;
  private constructor(
    private readonly data: EvaluationData,
    private readonly workers: PoolWorker[],
    /** [0] counts answers and exits (what Atomics.wait watches), [1] counts exited workers. */
    private readonly signal: Int32Array,
  ) {}

  /** A pool of `threads` (this thread included); 1, or no worker entry on disk, ranks everything here. */
  static open(data: EvaluationData, threads: number): EvaluationPool {
    const signal = new Int32Array(new SharedArrayBuffer(8));
    const workers: PoolWorker[] = [];
    const available = ENTRY.protocol === 'file:' && existsSync(fileURLToPath(ENTRY));
    for (let t = 1; available && t < threads; t++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(ENTRY, { workerData: { data, port: port2, signal }, transferList: [port2] });
      worker.unref();
      workers.push({ worker, port: port1, broken: false });
    }
    return new EvaluationPool(data, workers, signal);
  }

  /** Threads an evaluation uses now (this one and the workers still working). */
  get threads(): number {
    return 1 + this.workers.filter((w) => !w.broken).length;
  }

  /** Ranks of every validation target under `params` and each target's work (as rankTargets). */
  evaluate(params: SessionKnnParams): { ranks: Int32Array; work: Float64Array } {
    const count = this.data.targets.pos.length;
    const ranks = new Int32Array(count);
    const work = new Float64Array(count);
    const active = this.workers.filter((w) => !w.broken);
    const stride = active.length + 1;
    const id = ++this.evaluations;
    active.forEach((w, k) => {
      w.port.postMessage({ id, params, offset: k + 1, stride });
    });
    rankTargets(this.data, params, 0, stride, ranks, work);
    const pending = new Set(active.map((_, k) => k));
    while (pending.size > 0) {
      const events = Atomics.load(this.signal, 0);
      for (const k of [...pending]) {
        const w = active[k];
        for (let m = receiveMessageOnPort(w.port); m; m = receiveMessageOnPort(w.port)) {
          const r = m.message as ShareResult;
          if (r.id !== id) continue;
          pending.delete(k);
          if (r.ranks && r.work)
            for (let j = k + 1; j < count; j += stride) {
              ranks[j] = r.ranks[j];
              work[j] = r.work[j];
            }
          else {
            w.broken = true;
            rankTargets(this.data, params, k + 1, stride, ranks, work);
          }
        }
      }
      if (pending.size === 0) break;
      // every worker still owing a share is gone and its messages were drained: rank those shares here
      if (Atomics.load(this.signal, 1) >= this.workers.length) {
        for (const k of pending) {
          active[k].broken = true;
          rankTargets(this.data, params, k + 1, stride, ranks, work);
        }
        break;
      }
      Atomics.wait(this.signal, 0, events, 1000);
    }
    return { ranks, work };
  }

  close(): void {
    for (const w of this.workers) {
      void w.worker.terminate();
      w.port.close();
    }
  }
}
