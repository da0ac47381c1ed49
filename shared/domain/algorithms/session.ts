import type { Dataset, IdIndex } from '../data/dataset.js';
import { ValidationError } from '../errors.js';
import {
  deserializeNeighbourModel,
  type ItemCfOptions,
  interactionWeight,
  MODEL_KIND,
  NeighbourListsBuilder,
  NeighbourModel,
  type NeighbourLists,
  resolveEventWeights,
  type SerializeOptions,
  serializeNeighbourModel,
  TopSelector,
  trainItemCf,
  type UserHistory,
} from './item-cf.js';
import type { RecommendOptions, Recommender, TopN } from './recommender.js';

/**
 * Session-aware recommender: item-to-item transitions ("b usually follows a within the same session")
 * blended with CF co-occurrence, scored from the user's last N events with the most recent weighing most.
 * It is the local stand-in for a sequence-aware managed recommender (the Personalize arm).
 */

export interface SessionOptions {
  /** How many of the user's most recent events are used to score (N). */
  readonly recentEvents?: number;
  /** A gap longer than this (minutes) between consecutive events starts a new session. */
  readonly sessionGapMinutes?: number;
  /** How many following events (within the session) count as "followed by". */
  readonly window?: number;
  /** Weight multiplier per extra step between a and b (1 = next event, decay for the one after, ...). */
  readonly windowDecay?: number;
  /** Weight of the k-th most recent event (k=0 newest) is positionDecay^k. */
  readonly positionDecay?: number;
  /** Share of transitions vs CF co-occurrence in the blended similarity (0..1). */
  readonly transitionWeight?: number;
  /** Added to an item's occurrence count when turning transition counts into probabilities. */
  readonly transitionShrink?: number;
  /** Neighbours kept per item after blending. */
  readonly neighbours?: number;
  /** Options of the CF part (event weights below apply to both parts). */
  readonly cf?: ItemCfOptions;
  /** Weights per event type name (case-insensitive); '' and unknown types weigh 1. */
  readonly eventWeights?: Readonly<Record<string, number>>;
}

/** Defaults chosen on ML-100K and the Taobao sample (per-user temporal 80/20; see bench/cf-speed.ts). */
export const DEFAULT_SESSION_OPTIONS = {
  recentEvents: 10,
  sessionGapMinutes: 30,
  window: 5,
  windowDecay: 0.7,
  positionDecay: 0.85,
  transitionWeight: 0.5,
  transitionShrink: 2,
  neighbours: 100,
};

type ResolvedSessionOptions = typeof DEFAULT_SESSION_OPTIONS;

/** Trained session model (Recommender name 'session'). */
export class SessionModel extends NeighbourModel implements Recommender {
  readonly name = 'session';

  constructor(
    items: IdIndex | readonly string[],
    lists: NeighbourLists,
    history: UserHistory | undefined,
    /** Per user, their last N events oldest → newest with event weights. */
    readonly recent: UserHistory | undefined,
    readonly recentEvents: number,
    positionDecay: number,
  ) {
    super(items, lists, history);
    // stored as float32 in the binary form; rounding here keeps a round trip bit-identical
    this.positionDecay = Math.fround(positionDecay);
  }

  readonly positionDecay: number;

  /**
   * Top-n from a list of recent events, oldest first (item ids or indices; unknown ids are ignored).
   * Only the last `recentEvents` are used; the recent items themselves and `exclude` are left out.
   */
  recommendFromRecent(
    recent: readonly string[] | ArrayLike<number>,
    n: number,
    exclude?: ArrayLike<number>,
    eventWeights?: ArrayLike<number>,
  ): TopN {
    const idx: number[] = [];
    const ws: number[] = [];
    for (let k = 0; k < recent.length; k++) {
      const v = recent[k];
      const i = typeof v === 'string' ? this.items.get(v) : v;
      if (!(i >= 0 && i < this.nItems)) continue;
      idx.push(i);
      ws.push(eventWeights ? eventWeights[k] : 1);
    }
    const start = Math.max(0, idx.length - this.recentEvents);
    const items = idx.slice(start);
    const weights = this.positionWeights(ws.slice(start));
    return this.recommendFromItems(items, weights, n, exclude);
  }

  /** Recommends from the user's last N training events; seen items are excluded unless includeSeen. */
  override recommend(user: number, n: number, options?: RecommendOptions): TopN {
    const rc = this.recent;
    if (!rc || !(user >= 0 && user < rc.indptr.length - 1) || n <= 0)
      return { items: new Int32Array(0), scores: new Float32Array(0) };
    const items = rc.indices.subarray(rc.indptr[user], rc.indptr[user + 1]);
    const weights = this.positionWeights(rc.weights.subarray(rc.indptr[user], rc.indptr[user + 1]));
    const includeSeen = options?.includeSeen === true;
    const h = this.history;
    const seen =
      !includeSeen && h && user < h.indptr.length - 1
        ? h.indices.subarray(h.indptr[user], h.indptr[user + 1])
        : undefined;
    return this.recommendFromItems(items, weights, n, seen, includeSeen);
  }

  /** Multiplies event weights (oldest first) by positionDecay^(distance from the newest). */
  private positionWeights(eventWeights: ArrayLike<number>): Float32Array {
    const m = eventWeights.length;
    const out = new Float32Array(m);
    let w = 1;
    for (let k = m - 1; k >= 0; k--) {
      out[k] = eventWeights[k] * w;
      w *= this.positionDecay;
    }
    return out;
  }
}

function resolve(options: SessionOptions): ResolvedSessionOptions {
  const o = { ...DEFAULT_SESSION_OPTIONS };
  for (const key of Object.keys(o) as (keyof ResolvedSessionOptions)[]) {
    const v = options[key];
    if (v !== undefined) o[key] = v;
  }
  if (!Number.isInteger(o.recentEvents) || o.recentEvents < 1)
    throw new ValidationError('recentEvents must be an integer >= 1', 'recentEvents');
  if (!Number.isInteger(o.window) || o.window < 1)
    throw new ValidationError('window must be an integer >= 1', 'window');
  if (!Number.isInteger(o.neighbours) || o.neighbours < 1)
    throw new ValidationError('neighbours must be an integer >= 1', 'neighbours');
  if (!(o.sessionGapMinutes > 0))
    throw new ValidationError('sessionGapMinutes must be > 0', 'sessionGapMinutes');
  if (!(o.transitionWeight >= 0 && o.transitionWeight <= 1))
    throw new ValidationError('transitionWeight must be in [0, 1]', 'transitionWeight');
  for (const k of ['windowDecay', 'positionDecay'] as const)
    if (!(o[k] > 0 && o[k] <= 1)) throw new ValidationError(`${k} must be in (0, 1]`, k);
  if (!(o.transitionShrink >= 0))
    throw new ValidationError('transitionShrink must be >= 0', 'transitionShrink');
  return o;
}

/** Each user's events ordered by time (ties by row order), as CSR user → positions. */
function sequences(dataset: Dataset) {
  const { user, timestamp, length } = dataset.interactions;
  const nUsers = dataset.users.size;
  const ptr = new Int32Array(nUsers + 1);
  for (let r = 0; r < length; r++) ptr[user[r] + 1]++;
  for (let u = 0; u < nUsers; u++) ptr[u + 1] += ptr[u];
  const rows = new Int32Array(length);
  const fill = ptr.slice(0, nUsers);
  for (let r = 0; r < length; r++) rows[fill[user[r]]++] = r;
  for (let u = 0; u < nUsers; u++)
    rows.subarray(ptr[u], ptr[u + 1]).sort((a, b) => timestamp[a] - timestamp[b] || a - b);
  return { ptr, rows };
}

/**
 * Transition lists: for item a, weight of b = Σ over a's occurrences of windowDecay^(steps-1) × weight(b's
 * event) for the next `window` events of the same session, divided by (occurrences of a + shrink).
 */
function transitionLists(
  dataset: Dataset,
  seq: { ptr: Int32Array; rows: Int32Array },
  weight: (row: number) => number,
  o: ResolvedSessionOptions,
): NeighbourLists {
  const nItems = dataset.items.size;
  const { item, timestamp, user } = dataset.interactions;
  const { ptr, rows } = seq;
  const n = rows.length;
  // occurrences per item: positions into the sequence array
  const occPtr = new Int32Array(nItems + 1);
  for (let p = 0; p < n; p++) occPtr[item[rows[p]] + 1]++;
  for (let i = 0; i < nItems; i++) occPtr[i + 1] += occPtr[i];
  const occ = new Int32Array(n);
  const fill = occPtr.slice(0, nItems);
  for (let p = 0; p < n; p++) occ[fill[item[rows[p]]]++] = p;
  const rowWeight = new Float32Array(n);
  for (let p = 0; p < n; p++) rowWeight[p] = weight(rows[p]);

  const gap = o.sessionGapMinutes * 60;
  const stepW = new Float64Array(o.window);
  for (let d = 0; d < o.window; d++) stepW[d] = o.windowDecay ** d;
  const k = Math.min(o.neighbours, Math.max(0, nItems - 1));
  const out = new NeighbourListsBuilder(nItems, Math.max(16, Math.min(nItems * k, n)));
  const acc = new Float64Array(nItems);
  const mark = new Int32Array(nItems).fill(-1);
  const touched = new Int32Array(nItems);
  const sel = new TopSelector(k);
  for (let a = 0; a < nItems; a++) {
    let nt = 0;
    for (let o2 = occPtr[a]; o2 < occPtr[a + 1]; o2++) {
      const p = occ[o2];
      const end = Math.min(ptr[user[rows[p]] + 1], p + 1 + o.window);
      for (let q = p + 1; q < end; q++) {
        if (timestamp[rows[q]] - timestamp[rows[q - 1]] > gap) break;
        const b = item[rows[q]];
        if (b === a) continue;
        if (mark[b] !== a) {
          mark[b] = a;
          acc[b] = 0;
          touched[nt++] = b;
        }
        acc[b] += stepW[q - p - 1] * rowWeight[q];
      }
    }
    const denom = occPtr[a + 1] - occPtr[a] + o.transitionShrink;
    sel.reset(k);
    for (let t = 0; t < nt; t++) sel.push(touched[t], acc[touched[t]] / denom);
    out.appendRow(a, sel);
  }
  return out.build();
}

/**
 * Blends two neighbour-list sets row by row: beta·A/max(A row) + (1-beta)·B/max(B row), keeping the top K.
 * Row-max scaling puts transition probabilities and cosine similarities on one scale.
 */
export function blendLists(
  a: NeighbourLists,
  b: NeighbourLists,
  beta: number,
  k: number,
  nItems: number,
): NeighbourLists {
  const acc = new Float64Array(nItems);
  const mark = new Int32Array(nItems).fill(-1);
  const touched = new Int32Array(nItems);
  const sel = new TopSelector(k);
  const out = new NeighbourListsBuilder(nItems, Math.max(16, a.indices.length + b.indices.length));
  for (let i = 0; i < nItems; i++) {
    let nt = 0;
    for (const [l, w] of [
      [a, beta],
      [b, 1 - beta],
    ] as const) {
      let m = 0;
      for (let p = l.indptr[i]; p < l.indptr[i + 1]; p++) if (l.sims[p] > m) m = l.sims[p];
      if (!(m > 0) || w === 0) continue;
      const s = w / m;
      for (let p = l.indptr[i]; p < l.indptr[i + 1]; p++) {
        const j = l.indices[p];
        if (mark[j] !== i) {
          mark[j] = i;
          acc[j] = 0;
          touched[nt++] = j;
        }
        acc[j] += s * l.sims[p];
      }
    }
    sel.reset(k);
    for (let t = 0; t < nt; t++) sel.push(touched[t], acc[touched[t]]);
    out.appendRow(i, sel);
  }
  return out.build();
}

/**
 * Trains the session model: within-session transitions (next `window` events, gap-split sessions) blended
 * with item-CF co-occurrence; keeps each user's last N events for recommend(user).
 */
export function trainSession(dataset: Dataset, options: SessionOptions = {}): SessionModel {
  const o = resolve(options);
  const eventWeights = options.eventWeights ?? options.cf?.eventWeights;
  const cf = trainItemCf(dataset, { ...options.cf, eventWeights });
  const nItems = dataset.items.size;
  const seq = sequences(dataset);
  // transitions use event weights without time decay: the decay is in the recent-position weighting
  const weight = interactionWeight(dataset, eventWeights, 0);
  const trans = transitionLists(dataset, seq, weight, o);
  const lists = blendLists(
    trans,
    cf.lists,
    o.transitionWeight,
    Math.min(o.neighbours, Math.max(0, nItems - 1)),
    nItems,
  );

  const ew = resolveEventWeights(dataset.eventTypes, eventWeights);
  const nUsers = dataset.users.size;
  const rptr = new Int32Array(nUsers + 1);
  for (let u = 0; u < nUsers; u++)
    rptr[u + 1] = rptr[u] + Math.min(o.recentEvents, seq.ptr[u + 1] - seq.ptr[u]);
  const ridx = new Int32Array(rptr[nUsers]);
  const rw = new Float32Array(rptr[nUsers]);
  const { item, eventType } = dataset.interactions;
  for (let u = 0; u < nUsers; u++) {
    const take = rptr[u + 1] - rptr[u];
    const from = seq.ptr[u + 1] - take;
    for (let t = 0; t < take; t++) {
      const row = seq.rows[from + t];
      ridx[rptr[u] + t] = item[row];
      rw[rptr[u] + t] = ew[eventType[row]];
    }
  }
  return new SessionModel(
    dataset.items,
    lists,
    cf.history,
    { indptr: rptr, indices: ridx, weights: rw },
    o.recentEvents,
    o.positionDecay,
  );
}

/** Compact binary form (neighbour lists, recent events, optionally the seen-item histories). */
export function serializeSession(model: SessionModel, options: SerializeOptions = {}): Uint8Array {
  return serializeNeighbourModel({
    kind: MODEL_KIND.session,
    nItems: model.nItems,
    lists: model.lists,
    history: options.includeHistory === false ? undefined : model.history,
    recent: options.includeHistory === false ? undefined : model.recent,
    params: Float32Array.of(model.recentEvents, model.positionDecay),
  });
}

/** Restores a session model; `itemIds` must be the training dataset's item ids in index order. */
export function deserializeSession(bytes: Uint8Array, itemIds: IdIndex | readonly string[]): SessionModel {
  const d = deserializeNeighbourModel(bytes, MODEL_KIND.session);
  const params = d.params ?? new Float32Array(0);
  const recentEvents = params.length > 0 ? params[0] : DEFAULT_SESSION_OPTIONS.recentEvents;
  const positionDecay = params.length > 1 ? params[1] : DEFAULT_SESSION_OPTIONS.positionDecay;
  return new SessionModel(itemIds, d.lists, d.history, d.recent, recentEvents, positionDecay);
}
