import type { SessionLog } from '../../shared/domain/algorithms/session-knn/session-log.js';

/** A session log from plain arrays (session offsets, items, unix-second times), one event type, no users. */
export function sessionLogFrom(ptr: number[], items: number[], times: number[]): SessionLog {
  return {
    ptr: Int32Array.from(ptr),
    items: Int32Array.from(items),
    times: Float64Array.from(times),
    eventTypes: new Uint16Array(items.length),
    user: new Int32Array(ptr.length - 1).fill(-1),
  };
}
