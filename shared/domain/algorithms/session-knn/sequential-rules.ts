import { NeighbourListsBuilder, type NeighbourLists, TopSelector } from '../item-cf.js';
import { type SessionLog, sessionCount } from './session-log.js';

/**
 * Sequential rules (Ludewig & Jannach's SR): for item a, the weight of b sums 1/d over every time b follows
 * a within `steps` clicks of the same session (d = the distance); each item keeps its `prune` strongest rules.
 */
export function trainSequentialRules(
  log: SessionLog,
  nItems: number,
  steps: number,
  prune: number,
): NeighbourLists {
  const n = log.items.length;
  // occurrences per item, as positions into the log
  const occPtr = new Int32Array(nItems + 1);
  for (let p = 0; p < n; p++) occPtr[log.items[p] + 1]++;
  for (let i = 0; i < nItems; i++) occPtr[i + 1] += occPtr[i];
  const occ = new Int32Array(n);
  const fill = occPtr.slice(0, nItems);
  const sessionEndAt = new Int32Array(n);
  for (let s = 0; s < sessionCount(log); s++)
    for (let p = log.ptr[s]; p < log.ptr[s + 1]; p++) sessionEndAt[p] = log.ptr[s + 1];
  for (let p = 0; p < n; p++) occ[fill[log.items[p]]++] = p;
  const acc = new Float64Array(nItems);
  const mark = new Int32Array(nItems).fill(-1);
  const touched = new Int32Array(nItems);
  const sel = new TopSelector(prune);
  const out = new NeighbourListsBuilder(nItems, Math.max(16, Math.min(n * steps, nItems * prune)));
  for (let a = 0; a < nItems; a++) {
    let nt = 0;
    for (let o = occPtr[a]; o < occPtr[a + 1]; o++) {
      const p = occ[o];
      const end = Math.min(sessionEndAt[p], p + 1 + steps);
      for (let q = p + 1; q < end; q++) {
        const b = log.items[q];
        if (b === a) continue;
        if (mark[b] !== a) {
          mark[b] = a;
          acc[b] = 0;
          touched[nt++] = b;
        }
        acc[b] += 1 / (q - p);
      }
    }
    sel.reset(prune);
    for (let t = 0; t < nt; t++) sel.push(touched[t], acc[touched[t]]);
    out.appendRow(a, sel);
  }
  return out.build();
}
