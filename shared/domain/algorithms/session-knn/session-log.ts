import type { Dataset } from '../../data/dataset.js';
import { ValidationError } from '../../errors.js';

/**
 * Sessions as CSR: session s's events are positions `ptr[s] .. ptr[s+1]` of the columns, in time order
 * (ties keep file order). Items and event types are indices of the dataset the log was built from.
 */
export interface SessionLog {
  readonly ptr: Int32Array;
  readonly items: Int32Array;
  readonly times: Float64Array;
  readonly eventTypes: Uint16Array;
  /** The user index of each session (-1 when the session carries no user). */
  readonly user: Int32Array;
  /** Logs built from a dataset: the interaction row of each position. */
  readonly rows?: Int32Array;
}

/** Default inactivity gap (minutes) that cuts a user's events into sessions when there is no SESSION_ID. */
export const DEFAULT_SESSION_GAP_MINUTES = 30;

/** Number of sessions in a log. */
export function sessionCount(log: SessionLog): number {
  return log.ptr.length - 1;
}

/** Time of a session's last event. */
export function sessionEnd(log: SessionLog, s: number): number {
  return log.times[log.ptr[s + 1] - 1];
}

/**
 * The dataset's sessions: by its SESSION_ID column when it has one, else each user's events cut wherever
 * two consecutive events are more than `gapMinutes` apart. Sessions are ordered by their first event.
 */
export function sessionLogOf(dataset: Dataset, gapMinutes = DEFAULT_SESSION_GAP_MINUTES): SessionLog {
  if (!(gapMinutes > 0)) throw new ValidationError('sessionGapMinutes must be > 0', 'sessionGapMinutes');
  const { user, item, timestamp, eventType, length } = dataset.interactions;
  const bySession = dataset.interactions.session;
  const key = bySession ?? user;
  const nKeys = bySession ? (dataset.sessions?.size ?? 0) : dataset.users.size;
  // group rows by key (CSR), then sort each group by time
  const kptr = new Int32Array(nKeys + 1);
  for (let r = 0; r < length; r++) kptr[key[r] + 1]++;
  for (let g = 0; g < nKeys; g++) kptr[g + 1] += kptr[g];
  const rows = new Int32Array(length);
  const fill = kptr.slice(0, nKeys);
  for (let r = 0; r < length; r++) rows[fill[key[r]]++] = r;
  for (let g = 0; g < nKeys; g++)
    rows.subarray(kptr[g], kptr[g + 1]).sort((a, b) => timestamp[a] - timestamp[b] || a - b);
  // session boundaries: every group start, and (by user) every gap
  const gap = gapMinutes * 60;
  const starts: number[] = [];
  for (let g = 0; g < nKeys; g++) {
    for (let p = kptr[g]; p < kptr[g + 1]; p++) {
      if (p === kptr[g] || (!bySession && timestamp[rows[p]] - timestamp[rows[p - 1]] > gap)) starts.push(p);
    }
  }
  const nSessions = starts.length;
  // order sessions by their first event's time so "latest sessions" is a suffix
  const order = Array.from({ length: nSessions }, (_, s) => s).sort(
    (a, b) => timestamp[rows[starts[a]]] - timestamp[rows[starts[b]]] || a - b,
  );
  const ptr = new Int32Array(nSessions + 1);
  const items = new Int32Array(length);
  const times = new Float64Array(length);
  const types = new Uint16Array(length);
  const users = new Int32Array(nSessions);
  const rowOf = new Int32Array(length);
  let w = 0;
  for (let j = 0; j < nSessions; j++) {
    const s = order[j];
    const from = starts[s];
    const to = s + 1 < nSessions ? starts[s + 1] : length;
    for (let p = from; p < to; p++) {
      const r = rows[p];
      items[w] = item[r];
      times[w] = timestamp[r];
      types[w] = eventType[r];
      rowOf[w] = r;
      w++;
    }
    users[j] = user[rows[from]];
    ptr[j + 1] = w;
  }
  return { ptr, items, times, eventTypes: types, user: users, rows: rowOf };
}

/** Sessions `from .. to` of a log (a copy with its own ptr). */
export function sliceSessions(log: SessionLog, from: number, to: number): SessionLog {
  const a = log.ptr[from];
  const b = log.ptr[to];
  const ptr = new Int32Array(to - from + 1);
  for (let s = from; s <= to; s++) ptr[s - from] = log.ptr[s] - a;
  return {
    ptr,
    items: log.items.slice(a, b),
    times: log.times.slice(a, b),
    eventTypes: log.eventTypes.slice(a, b),
    user: log.user.slice(from, to),
  };
}

/** Splits a log into the earlier sessions and the latest `share` of them (by first event time). */
export function splitLatest(log: SessionLog, share: number): { train: SessionLog; test: SessionLog } {
  const n = sessionCount(log);
  const nTest = Math.min(n - 1, Math.max(1, Math.round(n * share)));
  return { train: sliceSessions(log, 0, n - nTest), test: sliceSessions(log, n - nTest, n) };
}
