import { type SessionLog, sessionCount } from './session-log.js';

/**
 * The neighbour-search index of session kNN, in bounded memory (CSR, typed arrays):
 * session → its last `maxSessionLength` items, session → end time, and item → its `maxSessionsPerItem`
 * most recent sessions (most recent first). At 1M sessions × 100k items with a few clicks per session it
 * is a few tens of MB, whatever the item popularity skew, because every item list is capped.
 */
export interface SessionIndex {
  readonly nItems: number;
  readonly sessPtr: Int32Array;
  readonly sessItems: Int32Array;
  readonly sessTime: Float64Array;
  readonly itemPtr: Int32Array;
  readonly itemSess: Int32Array;
  /** log(sessions / sessions containing the item), 0 for items in no session. */
  readonly idf: Float32Array;
}

export interface SessionIndexLimits {
  readonly maxSessionsPerItem: number;
  readonly maxSessionLength: number;
}

/** Builds the index from sessions (ordered or not); item indices must be < nItems. */
export function buildSessionIndex(log: SessionLog, nItems: number, limits: SessionIndexLimits): SessionIndex {
  const nS = sessionCount(log);
  const sessPtr = new Int32Array(nS + 1);
  for (let s = 0; s < nS; s++)
    sessPtr[s + 1] = sessPtr[s] + Math.min(limits.maxSessionLength, log.ptr[s + 1] - log.ptr[s]);
  const sessItems = new Int32Array(sessPtr[nS]);
  const sessTime = new Float64Array(nS);
  for (let s = 0; s < nS; s++) {
    const len = sessPtr[s + 1] - sessPtr[s];
    sessItems.set(log.items.subarray(log.ptr[s + 1] - len, log.ptr[s + 1]), sessPtr[s]);
    sessTime[s] = log.times[log.ptr[s + 1] - 1];
  }
  // sessions by end time, newest first: walking them in that order fills each item's list newest first
  const order = new Int32Array(nS);
  for (let s = 0; s < nS; s++) order[s] = s;
  order.sort((a, b) => sessTime[b] - sessTime[a] || b - a);
  const df = new Int32Array(nItems);
  const stamp = new Int32Array(nItems).fill(-1);
  for (let s = 0; s < nS; s++)
    for (let p = sessPtr[s]; p < sessPtr[s + 1]; p++) {
      const i = sessItems[p];
      if (stamp[i] !== s) {
        stamp[i] = s;
        df[i]++;
      }
    }
  const itemPtr = new Int32Array(nItems + 1);
  for (let i = 0; i < nItems; i++) itemPtr[i + 1] = itemPtr[i] + Math.min(df[i], limits.maxSessionsPerItem);
  const itemSess = new Int32Array(itemPtr[nItems]);
  const fill = itemPtr.slice(0, nItems);
  stamp.fill(-1);
  for (const s of order)
    for (let p = sessPtr[s]; p < sessPtr[s + 1]; p++) {
      const i = sessItems[p];
      if (stamp[i] === s) continue;
      stamp[i] = s;
      if (fill[i] < itemPtr[i + 1]) itemSess[fill[i]++] = s;
    }
  const idf = new Float32Array(nItems);
  for (let i = 0; i < nItems; i++) idf[i] = df[i] > 0 ? Math.log(nS / df[i]) : 0;
  return { nItems, sessPtr, sessItems, sessTime, itemPtr, itemSess, idf };
}

/** Bytes held by the index's arrays. */
export function sessionIndexBytes(x: SessionIndex): number {
  return (
    x.sessPtr.byteLength +
    x.sessItems.byteLength +
    x.sessTime.byteLength +
    x.itemPtr.byteLength +
    x.itemSess.byteLength +
    x.idf.byteLength
  );
}
