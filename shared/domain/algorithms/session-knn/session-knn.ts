import type { Dataset } from '../../data/dataset.js';
import { type NeighbourLists, TopSelector } from '../item-cf.js';
import type { RecommendOptions, Recommender, TopN } from '../recommender.js';
import { exploreCell, type PrefixItem, prefixItems, type RepeatTables, repeatCell } from './repeat-model.js';
import { PackedIds } from './packed-ids.js';
import type { SessionIndex } from './session-index.js';

/**
 * Session kNN in the V-SKNN / STAN / V-STAN family (Ludewig et al., UMUAI 2021; Garg et al., SIGIR 2019),
 * blended with sequential rules, plus a learned repeat model for the session's own items.
 */
export interface SessionKnnParams {
  /** Neighbour sessions kept. */
  readonly k: number;
  /** Most recent sessions sharing an item with the current one that are compared (the sample). */
  readonly sampleSize: number;
  /** STAN λ1: a prefix item p clicks before the last weighs exp(-p/λ1); 0 = all weigh 1. */
  readonly spwLambda: number;
  /** STAN λ2 in days: a neighbour session that ended Δ days ago weighs exp(-Δ/λ2); 0 = off. */
  readonly snhDays: number;
  /** STAN λ3 (V-STAN λ_inh): a neighbour's item d positions from its last shared item weighs exp(-d/λ3); 0 = all weigh 1. */
  readonly inhLambda: number;
  /** V-STAN λ_ipw: a neighbour whose latest shared item is the session's p-th newest weighs exp(-p/λ); 0 = off. */
  readonly ipwLambda: number;
  /** Weight of neighbour items before the match relative to those after it (V-STAN's direction). */
  readonly beforeWeight: number;
  /** V-STAN λ_idf: item scores × (1 + idfWeight · idf); 0 = off. */
  readonly idfWeight: number;
  /** Share of sequential rules in the blend with kNN (each scaled by its max). */
  readonly srWeight: number;
  /** Sequential rules from the last item weigh 1, from the one before srDecay, ... */
  readonly srDecay: number;
}

/**
 * Defaults: session-rec's published V-STAN configuration for RSC15 ("vstan-hr", conf/save/rsc15/single),
 * plus a sequential-rule share; training tunes from here on a validation split of its own data.
 */
export const DEFAULT_SESSION_KNN_PARAMS: SessionKnnParams = {
  k: 2000,
  sampleSize: 2500,
  spwLambda: 8,
  snhDays: 10,
  inhLambda: 8,
  ipwLambda: 0.5,
  beforeWeight: 1,
  idfWeight: 2,
  srWeight: 0.3,
  srDecay: 0.3,
};

/** One event of a session, as the request path and the evaluation give it. */
export interface SessionEvent {
  readonly itemId: string;
  readonly eventType?: string;
  /** Unix seconds. */
  readonly timestamp: number;
}

/** `allow`: the session's own items compete on their learned repeat score; `exclude`: never returned. */
export type RepeatPolicy = 'allow' | 'exclude';

export interface ScoredSessionItem {
  readonly itemId: string;
  readonly score: number;
}

/**
 * Scratch buffers reused across calls (scoring is synchronous, so one set per model is enough): a request
 * allocates nothing the size of the catalogue or of the sample.
 */
class Scratch {
  readonly itemStamp: Int32Array;
  readonly itemW: Float64Array;
  readonly itemPos: Int32Array;
  readonly acc: Float64Array;
  readonly accStamp: Int32Array;
  readonly touched: Int32Array;
  readonly sr: Float64Array;
  readonly sessStamp: Int32Array;
  /** Per candidate session: position of its last item shared with the session (valid where sessStamp = stamp). */
  readonly sessMatch: Int32Array;
  readonly itemNb: Int32Array;
  /** The sampled candidate sessions, and per distinct prefix item the next unread entry of its session list. */
  cand: Int32Array;
  readonly heads: Int32Array;
  readonly ends: Int32Array;
  /** The merge's heap of lists, and each list's head session time (its key). */
  readonly heap: Int32Array;
  readonly headTime: Float64Array;
  readonly distinct: Int32Array;
  readonly neighbours = new TopSelector(1);
  readonly top = new TopSelector(1);
  stamp = 0;
  nbStamp = 0;
  constructor(nItems: number, nSessions: number) {
    this.itemStamp = new Int32Array(nItems);
    this.itemW = new Float64Array(nItems);
    this.itemPos = new Int32Array(nItems);
    this.acc = new Float64Array(nItems);
    this.accStamp = new Int32Array(nItems);
    this.touched = new Int32Array(nItems);
    this.sr = new Float64Array(nItems);
    this.sessStamp = new Int32Array(nSessions);
    this.sessMatch = new Int32Array(nSessions);
    this.itemNb = new Int32Array(nItems);
    this.cand = new Int32Array(1024);
    this.heads = new Int32Array(nItems);
    this.ends = new Int32Array(nItems);
    this.heap = new Int32Array(nItems);
    this.headTime = new Float64Array(nItems);
    this.distinct = new Int32Array(nItems);
  }
}

/** The buffers {@link newestSessions} works in (the model's scratch; each at least the catalogue long). */
export interface MergeBuffers {
  /** Per session: the call's stamp once taken. */
  readonly sessStamp: Int32Array;
  readonly heads: Int32Array;
  readonly ends: Int32Array;
  readonly heap: Int32Array;
  readonly headTime: Float64Array;
}

/**
 * The neighbour sample: writes to `cand` the newest `sample` distinct sessions of the item lists of
 * `distinct[0, nd)` (each list newest first, read up to `sample` entries), stamping them with `q`, in
 * the order a scan over the lists' heads picks them (newest first, the lower list on ties). The heads sit
 * in a binary heap, so a long session costs log(lists) per pick rather than a scan of every list (the scan
 * was half of a validation evaluation on MovieLens-length sessions). `read` counts, per list, the entries
 * up to its first session not taken before the last pick: what the scan read, which the serving bound
 * budgets.
 */
export function newestSessions(
  x: SessionIndex,
  distinct: Int32Array,
  nd: number,
  sample: number,
  cand: Int32Array,
  b: MergeBuffers,
  q: number,
): { taken: number; read: number } {
  const { heap, headTime: key, heads, ends } = b;
  let hn = 0;
  for (let d = 0; d < nd; d++) {
    const i = distinct[d];
    heads[d] = x.itemPtr[i];
    ends[d] = Math.min(x.itemPtr[i + 1], x.itemPtr[i] + sample);
    if (heads[d] < ends[d]) {
      key[d] = x.sessTime[x.itemSess[heads[d]]];
      heap[hn++] = d;
    }
  }
  for (let h = (hn >> 1) - 1; h >= 0; h--) siftDown(heap, key, hn, h);
  let nc = 0;
  let last = -1;
  let lastPick = -1;
  while (nc < sample && hn > 0) {
    const d = heap[0];
    const s = x.itemSess[heads[d]++];
    // a session already taken through another item is passed over (its key was an upper bound)
    if (b.sessStamp[s] !== q) {
      b.sessStamp[s] = q;
      cand[nc++] = s;
      last = s;
      lastPick = d;
    }
    if (heads[d] < ends[d]) key[d] = x.sessTime[x.itemSess[heads[d]]];
    else heap[0] = heap[--hn];
    siftDown(heap, key, hn, 0);
  }
  let read = 0;
  for (let d = 0; d < nd; d++) {
    if (d !== lastPick)
      while (heads[d] < ends[d]) {
        const s = x.itemSess[heads[d]];
        if (b.sessStamp[s] !== q || s === last) break;
        heads[d]++;
      }
    read += heads[d] - x.itemPtr[distinct[d]];
  }
  return { taken: nc, read };
}

/**
 * Restores the heap below `h`: lists ordered by their head's time, newest first, the lower list first on
 * ties (the order a scan over the lists picks in).
 */
function siftDown(heap: Int32Array, key: Float64Array, n: number, h: number): void {
  const d = heap[h];
  const kd = key[d];
  for (;;) {
    let c = 2 * h + 1;
    if (c >= n) break;
    const r = c + 1;
    if (r < n && (key[heap[r]] > key[heap[c]] || (key[heap[r]] === key[heap[c]] && heap[r] < heap[c]))) c = r;
    const e = heap[c];
    if (!(key[e] > kd || (key[e] === kd && e < d))) break;
    heap[h] = e;
    h = c;
  }
  heap[h] = d;
}

/** The trained model: index, rules, repeat tables, and per-user recent items for recommend(user). */
export class SessionKnnModel implements Recommender {
  readonly name: string = 'session-knn';
  readonly nItems: number;
  /** id → index when the ids came as strings (training); packed ids carry their own hash table. */
  private byId?: Map<string, number>;
  private ids?: readonly string[];
  private readonly packed?: PackedIds;
  private readonly typeById: Map<string, number>;
  private scratch?: Scratch;
  /** STAN λ3 weights by distance from the neighbour's match, 0 … longest indexed session (see inhWeights). */
  private inh?: Float64Array;
  /**
   * Index entries the last {@link rankNew} call read (session-list entries merged, sampled sessions' items,
   * neighbours' items, rule entries): its cost, machine-independent, which the serving bound budgets.
   */
  lastWork = 0;

  constructor(
    /** Item ids, index order: strings (training) or packed (a loaded artifact: no parse, no Map at load). */
    itemIds: readonly string[] | PackedIds,
    /** Event type names of the training data, index order (index 0 = none). */
    readonly eventTypeNames: readonly string[],
    readonly index: SessionIndex,
    readonly rules: NeighbourLists,
    readonly repeat: RepeatTables,
    readonly params: SessionKnnParams,
    /** Per user: their last events oldest → newest (items, times), for recommend(user). */
    readonly recent?: {
      readonly indptr: Int32Array;
      readonly items: Int32Array;
      readonly times: Float64Array;
    },
    /** Per user: every item seen in training, sorted (excluded by recommend(user) unless includeSeen). */
    readonly history?: { readonly indptr: Int32Array; readonly items: Int32Array },
  ) {
    if (itemIds instanceof PackedIds) {
      this.packed = itemIds;
      this.nItems = itemIds.size;
    } else {
      this.ids = itemIds;
      this.nItems = itemIds.length;
    }
    this.typeById = new Map(eventTypeNames.map((t, i) => [t.toLowerCase(), i]));
  }

  /** Every item id, index order (materialised on first use from packed ids). */
  get itemIds(): readonly string[] {
    this.ids ??= this.packed?.all() ?? [];
    return this.ids;
  }

  /** The packed form of the ids, when the model was loaded with them. */
  get packedIds(): PackedIds | undefined {
    return this.packed;
  }

  /** Index of an item id, -1 when the model does not know it. */
  itemIndex(id: string): number {
    if (this.packed) return this.packed.indexOf(id);
    this.byId ??= new Map(this.itemIds.map((id, i) => [id, i]));
    return this.byId.get(id) ?? -1;
  }

  /** The id of item `index`. */
  itemId(index: number): string {
    return this.packed ? this.packed.idAt(index) : this.itemIds[index];
  }

  /** Bucket of an event type name for the repeat table (unknown and absent types share bucket 0). */
  typeIndex(name: string | undefined): number {
    if (name === undefined) return 0;
    const t = this.typeById.get(name.toLowerCase()) ?? 0;
    return t < this.repeat.types ? t : 0;
  }

  /**
   * exp(-d / inhLambda) for every distance a neighbour session can have (1 everywhere when λ3 is off):
   * the same values the scoring loop computed per item, read from a table (a fifth of its time was exp).
   */
  private inhWeights(): Float64Array {
    if (this.inh) return this.inh;
    const ptr = this.index.sessPtr;
    let longest = 0;
    for (let s = 0; s + 1 < ptr.length; s++) longest = Math.max(longest, ptr[s + 1] - ptr[s]);
    const lambda = this.params.inhLambda;
    const w = new Float64Array(longest + 1);
    for (let d = 0; d <= longest; d++) w[d] = lambda > 0 ? Math.exp(-d / lambda) : 1;
    this.inh = w;
    return w;
  }

  private buffers(): Scratch {
    this.scratch ??= new Scratch(this.nItems, this.index.sessTime.length);
    const s = this.scratch;
    if (++s.stamp >= 0x7fffffff) {
      s.itemStamp.fill(0);
      s.accStamp.fill(0);
      s.sessStamp.fill(0);
      s.stamp = 1;
    }
    // a call takes up to sampleSize + k + 1 neighbour stamps: restart before the Int32 range could run out
    if (s.nbStamp >= 0x7fffffff - (this.params.sampleSize + this.params.k + 2)) {
      s.itemNb.fill(0);
      s.nbStamp = 0;
    }
    return s;
  }

  /**
   * The best `n` new items (not in `prefix`, nor in `exclude`) for a session prefix of known item indices,
   * oldest first, at time `now` (unix seconds), by blended kNN and sequential-rule score.
   */
  rankNew(prefix: ArrayLike<number>, now: number, n: number, exclude?: ArrayLike<number>): TopN {
    const P = this.params;
    const x = this.index;
    const b = this.buffers();
    const q = b.stamp;
    const len = prefix.length;
    this.lastWork = 0;
    if (len === 0 || n <= 0) return { items: new Int32Array(0), scores: new Float32Array(0) };
    // prefix weights (STAN λ1), the latest occurrence of an item counts
    const distinct = b.distinct;
    let nd = 0;
    for (let p = 0; p < len; p++) {
      const i = prefix[p];
      const w = P.spwLambda > 0 ? Math.exp(-(len - 1 - p) / P.spwLambda) : 1;
      if (b.itemStamp[i] !== q) {
        b.itemStamp[i] = q;
        distinct[nd++] = i;
      }
      b.itemW[i] = w;
      b.itemPos[i] = p;
    }
    // candidate neighbours: the newest sampleSize sessions sharing an item with the session
    const sample = Math.max(0, P.sampleSize);
    if (b.cand.length < sample) b.cand = new Int32Array(sample);
    const cand = b.cand;
    const { taken: nc, read } = newestSessions(x, distinct, nd, sample, cand, b, q);
    let work = read;
    const sel = b.neighbours;
    sel.reset(P.k);
    for (let c = 0; c < nc; c++) {
      const s = cand[c];
      let dot = 0;
      let bestPos = -1;
      let match = -1;
      const from = x.sessPtr[s];
      const to = x.sessPtr[s + 1];
      work += to - from;
      const nb = ++b.nbStamp;
      let distinctLen = 0;
      for (let p = from; p < to; p++) {
        const j = x.sessItems[p];
        // an item repeated in the neighbour counts once (its last position is its position)
        const first = b.itemNb[j] !== nb;
        if (first) {
          b.itemNb[j] = nb;
          distinctLen++;
        }
        if (b.itemStamp[j] !== q) continue;
        if (first) dot += b.itemW[j];
        match = p - from;
        if (b.itemPos[j] > bestPos) bestPos = b.itemPos[j];
      }
      if (!(dot > 0)) continue;
      let sim = dot / Math.sqrt(distinctLen);
      if (P.snhDays > 0) sim *= Math.exp(-Math.max(0, now - x.sessTime[s]) / (P.snhDays * 86400));
      // V-STAN λ_ipw: a neighbour found through an older click of the session counts less
      if (P.ipwLambda > 0) sim *= Math.exp(-(len - 1 - bestPos) / P.ipwLambda);
      b.sessMatch[s] = match;
      sel.push(s, sim);
    }
    // item scores from neighbours (STAN λ3 around the neighbour's last shared item); the neighbours'
    // order does not matter, so they are read in heap order rather than sorted
    const nb = sel.count;
    const inh = this.inhWeights();
    let nt = 0;
    for (let t = 0; t < nb; t++) {
      const s = sel.indexAt(t);
      const sim = sel.valueAt(t);
      const m = b.sessMatch[s];
      const from = x.sessPtr[s];
      work += x.sessPtr[s + 1] - from;
      const nbs = ++b.nbStamp;
      for (let p = x.sessPtr[s + 1] - 1; p >= from; p--) {
        const j = x.sessItems[p];
        if (b.itemStamp[j] === q || b.itemNb[j] === nbs) continue;
        b.itemNb[j] = nbs;
        const d = p - from - m;
        let w = inh[d < 0 ? -d : d];
        if (d < 0) w *= P.beforeWeight;
        if (b.accStamp[j] !== q) {
          b.accStamp[j] = q;
          b.acc[j] = 0;
          b.sr[j] = 0;
          b.touched[nt++] = j;
        }
        b.acc[j] += sim * w;
      }
    }
    // sequential rules from the last items
    const R = this.rules;
    if (P.srWeight > 0) {
      let decay = 1;
      // each item's rules once, from its latest position (nbStamp marks the items already used)
      const used = ++b.nbStamp;
      for (let p = len - 1; p >= 0 && decay > 1e-3; p--) {
        const a = prefix[p];
        if (b.itemNb[a] === used) continue;
        b.itemNb[a] = used;
        work += R.indptr[a + 1] - R.indptr[a];
        for (let r = R.indptr[a]; r < R.indptr[a + 1]; r++) {
          const j = R.indices[r];
          if (b.itemStamp[j] === q) continue;
          if (b.accStamp[j] !== q) {
            b.accStamp[j] = q;
            b.acc[j] = 0;
            b.sr[j] = 0;
            b.touched[nt++] = j;
          }
          b.sr[j] += decay * R.sims[r];
        }
        decay *= P.srDecay;
      }
    }
    let maxK = 0;
    let maxS = 0;
    for (let t = 0; t < nt; t++) {
      const j = b.touched[t];
      if (P.idfWeight > 0) b.acc[j] *= 1 + P.idfWeight * x.idf[j];
      if (b.acc[j] > maxK) maxK = b.acc[j];
      if (b.sr[j] > maxS) maxS = b.sr[j];
    }
    if (exclude) for (let e = 0; e < exclude.length; e++) b.accStamp[exclude[e]] = q - 1;
    const wk = maxK > 0 ? (1 - P.srWeight) / maxK : 0;
    const ws = maxS > 0 ? P.srWeight / maxS : 0;
    const top = b.top;
    top.reset(n);
    for (let t = 0; t < nt; t++) {
      const j = b.touched[t];
      if (b.accStamp[j] !== q) continue;
      const v = wk * b.acc[j] + ws * b.sr[j];
      if (v > 0) top.push(j, v);
    }
    this.lastWork = work + nt;
    const items = new Int32Array(top.count);
    const scores = new Float32Array(top.count);
    top.drain(items, scores);
    return { items, scores };
  }

  /**
   * Top-n for a training user from their last training events (the next-session view of a user);
   * items seen in training are left out unless includeSeen.
   */
  recommend(user: number, n: number, options?: RecommendOptions): TopN {
    const rc = this.recent;
    if (!rc || !(user >= 0 && user < rc.indptr.length - 1) || n <= 0)
      return { items: new Int32Array(0), scores: new Float32Array(0) };
    const prefix = rc.items.subarray(rc.indptr[user], rc.indptr[user + 1]);
    if (prefix.length === 0) return { items: new Int32Array(0), scores: new Float32Array(0) };
    const now = rc.times[rc.indptr[user + 1] - 1];
    const h = this.history;
    const seen =
      options?.includeSeen !== true && h && user < h.indptr.length - 1
        ? h.items.subarray(h.indptr[user], h.indptr[user + 1])
        : undefined;
    return this.rankNew(prefix, now, n, seen);
  }
}

/** Repeat features of a session's distinct items (keys = positions in `ids`), most recent first. */
function sessionPrefix(
  model: SessionKnnModel,
  events: readonly SessionEvent[],
): { ids: string[]; items: PrefixItem[]; known: Int32Array; now: number } {
  // events in time order; ties keep the given order
  const order = events.map((_, k) => k).sort((a, b) => events[a].timestamp - events[b].timestamp || a - b);
  const ids: string[] = [];
  const keyOf = new Map<string, number>();
  const keys = new Int32Array(order.length);
  const types = new Int32Array(order.length);
  const known: number[] = [];
  for (let p = 0; p < order.length; p++) {
    const e = events[order[p]];
    let key = keyOf.get(e.itemId);
    if (key === undefined) {
      key = ids.length;
      ids.push(e.itemId);
      keyOf.set(e.itemId, key);
    }
    keys[p] = key;
    types[p] = model.typeIndex(e.eventType);
    const i = model.itemIndex(e.itemId);
    if (i >= 0) known.push(i);
  }
  const now = order.length > 0 ? events[order[order.length - 1]].timestamp : 0;
  return { ids, items: prefixItems(keys, types, order.length), known: Int32Array.from(known), now };
}

/**
 * Scores a session: the top `k` items for the session's events (any order; sorted by timestamp), best
 * first, scores descending. Scores are the model's probability that the item is the next click: new
 * items by their kNN + sequential-rule rank, the session's own items (also ones unknown to the model)
 * by the learned repeat model. With `repeat: 'exclude'` no item of the session is returned.
 * Pure apart from reusing the model's scratch buffers (synchronous).
 */
export function scoreSession(
  model: SessionKnnModel,
  events: readonly SessionEvent[],
  options: { readonly k: number; readonly repeat: RepeatPolicy },
): ScoredSessionItem[] {
  const k = Math.max(0, Math.floor(options.k));
  if (k === 0 || events.length === 0) return [];
  const { ids, items, known, now } = sessionPrefix(model, events);
  const t = model.repeat;
  const fresh = model.rankNew(known, now, k);
  const pNew = t.explore[exploreCell(items.length, items[0].count)];
  const out: ScoredSessionItem[] = [];
  for (let q = 0; q < fresh.items.length; q++) {
    const base = pNew * t.newRank[Math.min(q, t.newRank.length - 1)];
    // within one rank bucket the blend score orders the tail; it never lifts a candidate above the previous
    out.push({ itemId: model.itemId(fresh.items[q]), score: base * (1 - q * 1e-7) });
  }
  if (options.repeat === 'allow') {
    for (const it of items)
      out.push({ itemId: ids[it.key], score: t.repeat[repeatCell(t, it.rank, it.count, it.type)] });
    out.sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
  }
  return out.slice(0, k);
}

/** Exported for the tuner and the evaluation: the dataset-free scoring core. */
export type { SessionIndex };

/** Per-user recent items and seen items of a dataset, for recommend(user). */
export function userState(
  dataset: Dataset,
  recentEvents: number,
): {
  recent: { indptr: Int32Array; items: Int32Array; times: Float64Array };
  history: { indptr: Int32Array; items: Int32Array };
} {
  const { user, item, timestamp, length } = dataset.interactions;
  const nUsers = dataset.users.size;
  const ptr = new Int32Array(nUsers + 1);
  for (let r = 0; r < length; r++) ptr[user[r] + 1]++;
  for (let u = 0; u < nUsers; u++) ptr[u + 1] += ptr[u];
  const rows = new Int32Array(length);
  const fill = ptr.slice(0, nUsers);
  for (let r = 0; r < length; r++) rows[fill[user[r]]++] = r;
  const rptr = new Int32Array(nUsers + 1);
  const hptr = new Int32Array(nUsers + 1);
  const hist: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    const mine = rows.subarray(ptr[u], ptr[u + 1]);
    mine.sort((a, b) => timestamp[a] - timestamp[b] || a - b);
    rptr[u + 1] = rptr[u] + Math.min(recentEvents, mine.length);
    const distinct = [...new Set(Array.from(mine, (r) => item[r]))].sort((a, b) => a - b);
    for (const i of distinct) hist.push(i);
    hptr[u + 1] = hist.length;
  }
  const ritems = new Int32Array(rptr[nUsers]);
  const rtimes = new Float64Array(rptr[nUsers]);
  for (let u = 0; u < nUsers; u++) {
    const take = rptr[u + 1] - rptr[u];
    for (let t = 0; t < take; t++) {
      const r = rows[ptr[u + 1] - take + t];
      ritems[rptr[u] + t] = item[r];
      rtimes[rptr[u] + t] = timestamp[r];
    }
  }
  return {
    recent: { indptr: rptr, items: ritems, times: rtimes },
    history: { indptr: hptr, items: Int32Array.from(hist) },
  };
}
