/** Runs in an FM worker (see fm-workers.ts): trains its members and posts each one serialised. */
import type { MessagePort } from 'node:worker_threads';
import { type Dataset, IdIndex } from '../data/dataset.js';
import { type FmOptions, trainFmMember } from './fm.js';
import { serializeFm } from './fm-serialize.js';
import type { MemberResult } from './fm-workers.js';

interface WorkerInput {
  readonly dataset: Dataset;
  readonly jobs: readonly { member: number; options: FmOptions }[];
  readonly port: MessagePort;
}

/** Structured clone keeps IdIndex's fields (ids, map) but not its class; restore the prototype. */
function reviveDataset(ds: Dataset): Dataset {
  const revive = (x: IdIndex) => Object.setPrototypeOf(x, IdIndex.prototype) as IdIndex;
  revive(ds.users);
  revive(ds.items);
  revive(ds.eventTypes);
  for (const c of [...ds.userAttributes, ...ds.itemAttributes]) revive(c.dict);
  return ds;
}

/** Trains every job's member in order, posting one MemberResult per member and signalling after each. */
export function runJobs(input: WorkerInput, signal: () => void): void {
  const dataset = reviveDataset(input.dataset);
  for (const { member, options } of input.jobs) {
    let result: MemberResult;
    try {
      const model = trainFmMember(dataset, options);
      result = { member, bytes: serializeFm(model), training: model.training };
    } catch (err) {
      result = { member, error: err instanceof Error ? err.message : String(err) };
    }
    input.port.postMessage(result, result.bytes ? [result.bytes.buffer as ArrayBuffer] : []);
    signal();
  }
}
