import type { ScoredItem, SegmentList, UserRecommendations } from '../../ports/types.js';
import { DEFAULT_EVENT_WEIGHTS } from '../algorithms/recommender.js';
import { topK } from '../algorithms/top-k.js';
import type { Dataset } from '../data/dataset.js';
import { ValidationError } from '../errors.js';
import { GLOBAL_SEGMENT, itemSegmentKey } from '../popularity/segments.js';

/**
 * The lists the shop surfaces read, computed nightly from one dataset: co-purchase neighbours
 * (bought-together), attribute neighbours (similar items for items without history) and rankings
 * (best-sellers, most-viewed, trending; global and per item attribute value). Typed arrays over dense
 * indices throughout; no I/O.
 */

export const RANKING_KINDS = ['best-sellers', 'most-viewed', 'trending'] as const;
export type RankingKind = (typeof RANKING_KINDS)[number];

/** Event types (lower case) per ranking kind and their weight; other types do not count. */
export const RANKING_EVENT_WEIGHTS: Readonly<Record<RankingKind, Readonly<Record<string, number>>>> = {
  'best-sellers': { purchase: 1, buy: 1 },
  'most-viewed': { view: 1, pv: 1, click: 1 },
  trending: DEFAULT_EVENT_WEIGHTS,
};

/** Event types that put an item into a basket (co-purchase), lower case. */
export const BASKET_EVENT_TYPES: readonly string[] = ['cart', 'add-to-cart', 'purchase', 'buy'];

/** Segment key of a ranking list in the popularity store: `rank:<kind>:global` or `rank:<kind>:i:COL=v`. */
export function rankingSegment(kind: RankingKind, segment: string = GLOBAL_SEGMENT): string {
  return `rank:${kind}:${segment}`;
}

export interface SurfaceOptions {
  /** Events further apart than this (same user) start a new basket (default 3600 s). */
  readonly basketGapSeconds?: number;
  /** Neighbours kept per item (default 50). */
  readonly neighbours?: number;
  /** Items per ranking list (default 500). */
  readonly listSize?: number;
  /** Window of best-sellers and most-viewed, days back from the newest event (default 30). */
  readonly windowDays?: number;
  /** Trending: the recent window in days (default 7), compared with the `baselineWindows` windows before it. */
  readonly trendDays?: number;
  readonly baselineWindows?: number;
  /** Unix seconds the windows end at; default the newest event. */
  readonly now?: number;
  /** Attribute neighbours only for items without any interaction (default false: every item). */
  readonly withoutHistoryOnly?: boolean;
}

interface Resolved {
  basketGap: number;
  neighbours: number;
  listSize: number;
  window: number;
  trend: number;
  baselineWindows: number;
  now: number;
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value))
    throw new ValidationError(`${name} must be a positive number, got ${value}`, name);
  return value;
}

function resolve(dataset: Dataset, o: SurfaceOptions): Resolved {
  let now = o.now;
  if (now === undefined) {
    now = 0;
    const ts = dataset.interactions.timestamp;
    for (let r = 0; r < dataset.interactions.length; r++) if (ts[r] > now) now = ts[r];
  }
  return {
    basketGap: positive(o.basketGapSeconds ?? 3600, 'basketGapSeconds'),
    neighbours: Math.floor(positive(o.neighbours ?? 50, 'neighbours')),
    listSize: Math.floor(positive(o.listSize ?? 500, 'listSize')),
    window: positive(o.windowDays ?? 30, 'windowDays') * 86_400,
    trend: positive(o.trendDays ?? 7, 'trendDays') * 86_400,
    baselineWindows: Math.floor(positive(o.baselineWindows ?? 3, 'baselineWindows')),
    now,
  };
}

/** Weight per event type index for a (lower-case) weight table; absent types weigh 0. */
function typeWeights(dataset: Dataset, weights: Readonly<Record<string, number>>): Float64Array {
  const lower = new Map<string, number>();
  for (const [t, w] of Object.entries(weights)) lower.set(t.toLowerCase(), w);
  const out = new Float64Array(dataset.eventTypes.size);
  for (let t = 0; t < out.length; t++) out[t] = lower.get(dataset.eventTypes.ids[t].toLowerCase()) ?? 0;
  return out;
}

/** Rows sorted by (user, timestamp): a counting sort by user, then a sort within each user. */
function rowsByUserTime(dataset: Dataset): { start: Int32Array; rows: Int32Array } {
  const { user, timestamp, length } = dataset.interactions;
  const n = dataset.users.size;
  const start = new Int32Array(n + 1);
  for (let r = 0; r < length; r++) start[user[r] + 1]++;
  for (let u = 0; u < n; u++) start[u + 1] += start[u];
  const fill = start.slice(0, n);
  const rows = new Int32Array(length);
  for (let r = 0; r < length; r++) rows[fill[user[r]]++] = r;
  for (let u = 0; u < n; u++) {
    const seg = rows.subarray(start[u], start[u + 1]);
    seg.sort((a, b) => timestamp[a] - timestamp[b] || a - b);
  }
  return { start, rows };
}

/** Item → item neighbour rows from baskets (CSR basket → distinct items), cosine of co-occurrence counts. */
function coOccurrence(
  nItems: number,
  basketPtr: Int32Array,
  basketItems: Int32Array,
  k: number,
): { item: number; items: Int32Array; scores: Float32Array }[] {
  const nBaskets = basketPtr.length - 1;
  const count = new Float64Array(nItems);
  for (let p = 0; p < basketItems.length; p++) count[basketItems[p]]++;
  // item → baskets CSR
  const ip = new Int32Array(nItems + 1);
  for (let p = 0; p < basketItems.length; p++) ip[basketItems[p] + 1]++;
  for (let i = 0; i < nItems; i++) ip[i + 1] += ip[i];
  const fill = ip.slice(0, nItems);
  const ib = new Int32Array(basketItems.length);
  for (let b = 0; b < nBaskets; b++)
    for (let p = basketPtr[b]; p < basketPtr[b + 1]; p++) ib[fill[basketItems[p]]++] = b;
  const acc = new Float64Array(nItems);
  const touched = new Int32Array(nItems);
  const out: { item: number; items: Int32Array; scores: Float32Array }[] = [];
  for (let i = 0; i < nItems; i++) {
    let nt = 0;
    for (let q = ip[i]; q < ip[i + 1]; q++) {
      const b = ib[q];
      for (let p = basketPtr[b]; p < basketPtr[b + 1]; p++) {
        const j = basketItems[p];
        if (j === i) continue;
        if (acc[j] === 0) touched[nt++] = j;
        acc[j] += 1;
      }
    }
    if (nt === 0) continue;
    const idx = touched.subarray(0, nt).slice().sort();
    const sims = new Float64Array(nt);
    for (let t = 0; t < nt; t++) {
      const j = idx[t];
      sims[t] = acc[j] / Math.sqrt(count[i] * count[j]);
      acc[j] = 0;
    }
    const top = topK(sims, k);
    const items = new Int32Array(top.items.length);
    for (let t = 0; t < items.length; t++) items[t] = idx[top.items[t]];
    out.push({ item: i, items, scores: top.scores });
  }
  return out;
}

/**
 * Baskets: each user's cart/purchase events split where two consecutive ones are more than
 * `basketGapSeconds` apart (a session or an order; the contract has no order id). CSR basket → distinct items.
 */
export function baskets(
  dataset: Dataset,
  options: SurfaceOptions = {},
): { ptr: Int32Array; items: Int32Array } {
  const o = resolve(dataset, options);
  const isBasket = new Uint8Array(dataset.eventTypes.size);
  for (let t = 0; t < isBasket.length; t++)
    isBasket[t] = BASKET_EVENT_TYPES.includes(dataset.eventTypes.ids[t].toLowerCase()) ? 1 : 0;
  const { item, timestamp, eventType } = dataset.interactions;
  const { start, rows } = rowsByUserTime(dataset);
  const ptr: number[] = [0];
  const items: number[] = [];
  const mark = new Int32Array(dataset.items.size).fill(-1);
  let basket = -1;
  for (let u = 0; u < dataset.users.size; u++) {
    let last = Number.NEGATIVE_INFINITY;
    let open = false;
    for (let p = start[u]; p < start[u + 1]; p++) {
      const r = rows[p];
      if (isBasket[eventType[r]] === 0) continue;
      if (!open || timestamp[r] - last > o.basketGap) {
        if (open) ptr.push(items.length);
        basket++;
        open = true;
      }
      last = timestamp[r];
      if (mark[item[r]] !== basket) {
        mark[item[r]] = basket;
        items.push(item[r]);
      }
    }
    if (open) ptr.push(items.length);
  }
  return { ptr: Int32Array.from(ptr), items: Int32Array.from(items) };
}

function toLists(
  dataset: Dataset,
  rows: { item: number; items: Int32Array; scores: Float32Array }[],
): UserRecommendations[] {
  const ids = dataset.items.ids;
  return rows.map((row) => {
    const items: ScoredItem[] = new Array(row.items.length);
    for (let t = 0; t < row.items.length; t++)
      items[t] = { itemId: ids[row.items[t]], score: Math.round(row.scores[t] * 1e6) / 1e6 };
    return { userId: ids[row.item], items };
  });
}

/**
 * Bought-together lists: per item, the items that share its baskets most often, by the cosine of
 * basket counts (an item in every basket is not everyone's neighbour). Items in no basket get no list.
 */
export function boughtTogetherLists(dataset: Dataset, options: SurfaceOptions = {}): UserRecommendations[] {
  const o = resolve(dataset, options);
  const b = baskets(dataset, options);
  return toLists(dataset, coOccurrence(dataset.items.size, b.ptr, b.items, o.neighbours));
}

/**
 * Attribute neighbours: per item with attribute values, the items sharing most of its values (share of
 * the item's values they have, ties by global popularity), so an item nobody interacted with still has
 * similar items. Candidates come from the items of each of its values, most popular first (at most
 * `listSize` per value), so the cost stays linear in the catalogue.
 */
export function attributeNeighbourLists(
  dataset: Dataset,
  globalScore: Float64Array,
  options: SurfaceOptions = {},
): UserRecommendations[] {
  const o = resolve(dataset, options);
  const nItems = dataset.items.size;
  const cols = dataset.itemAttributes;
  // per (column, value): its items, most popular first, capped
  const members: Int32Array[][] = cols.map((col) => {
    const lens = new Int32Array(col.dict.size);
    for (let i = 0; i < nItems && i + 1 < col.offsets.length; i++)
      for (let p = col.offsets[i]; p < col.offsets[i + 1]; p++) lens[col.values[p]]++;
    const lists = Array.from({ length: col.dict.size }, (_, v) => new Int32Array(lens[v]));
    const fill = new Int32Array(col.dict.size);
    for (let i = 0; i < nItems && i + 1 < col.offsets.length; i++)
      for (let p = col.offsets[i]; p < col.offsets[i + 1]; p++)
        lists[col.values[p]][fill[col.values[p]]++] = i;
    return lists.map((l) => l.sort((a, b) => globalScore[b] - globalScore[a] || a - b).slice(0, o.listSize));
  });
  let maxPop = 0;
  for (let i = 0; i < nItems; i++) if (globalScore[i] > maxPop) maxPop = globalScore[i];
  const acc = new Float64Array(nItems);
  const touched = new Int32Array(nItems);
  const rows: { item: number; items: Int32Array; scores: Float32Array }[] = [];
  const touchedByEvents = new Uint8Array(nItems);
  if (options.withoutHistoryOnly === true)
    for (let r = 0; r < dataset.interactions.length; r++) touchedByEvents[dataset.interactions.item[r]] = 1;
  for (let i = 0; i < nItems; i++) {
    if (touchedByEvents[i] === 1) continue;
    let nValues = 0;
    let nt = 0;
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c];
      if (i + 1 >= col.offsets.length) continue;
      for (let p = col.offsets[i]; p < col.offsets[i + 1]; p++) {
        nValues++;
        for (const j of members[c][col.values[p]]) {
          if (j === i) continue;
          if (acc[j] === 0) touched[nt++] = j;
          acc[j] += 1;
        }
      }
    }
    if (nt === 0) continue;
    const idx = touched.subarray(0, nt).slice().sort();
    const sims = new Float64Array(nt);
    for (let t = 0; t < nt; t++) {
      const j = idx[t];
      // shared share dominates; popularity (< 0.01) only orders items sharing as much
      sims[t] = acc[j] / nValues + (maxPop > 0 ? (0.01 * globalScore[j]) / maxPop : 0);
      acc[j] = 0;
    }
    const top = topK(sims, o.neighbours);
    const items = new Int32Array(top.items.length);
    for (let t = 0; t < items.length; t++) items[t] = idx[top.items[t]];
    rows.push({ item: i, items, scores: top.scores });
  }
  return toLists(dataset, rows);
}

/** Raw per-item score of one ranking kind (0 = not ranked). */
export function rankingScores(
  dataset: Dataset,
  kind: RankingKind,
  options: SurfaceOptions = {},
): Float64Array {
  const o = resolve(dataset, options);
  const w = typeWeights(dataset, RANKING_EVENT_WEIGHTS[kind]);
  const { item, timestamp, eventType, length } = dataset.interactions;
  const nItems = dataset.items.size;
  const out = new Float64Array(nItems);
  if (kind !== 'trending') {
    const from = o.now - o.window;
    for (let r = 0; r < length; r++)
      if (timestamp[r] > from && timestamp[r] <= o.now) out[item[r]] += w[eventType[r]];
    return out;
  }
  // Trending: the recent window's weighted count against the item's own baseline (the mean of the
  // windows before it), as a Poisson z-score with one pseudo-event so a first sale is not infinitely rising
  const recent = new Float64Array(nItems);
  const base = new Float64Array(nItems);
  const recentFrom = o.now - o.trend;
  const baseFrom = recentFrom - o.trend * o.baselineWindows;
  for (let r = 0; r < length; r++) {
    const t = timestamp[r];
    if (t > o.now) continue;
    if (t > recentFrom) recent[item[r]] += w[eventType[r]];
    else if (t > baseFrom) base[item[r]] += w[eventType[r]];
  }
  for (let i = 0; i < nItems; i++) {
    const expected = base[i] / o.baselineWindows;
    const growth = (recent[i] - expected) / Math.sqrt(expected + 1);
    out[i] = Math.max(growth, 0);
  }
  return out;
}

function rankedList(
  dataset: Dataset,
  segment: string,
  scores: Float64Array,
  candidates: Int32Array | undefined,
  n: number,
): SegmentList | undefined {
  let sub: Float64Array;
  let idx: Int32Array | undefined;
  if (candidates) {
    sub = new Float64Array(candidates.length);
    for (let t = 0; t < candidates.length; t++) sub[t] = scores[candidates[t]];
    idx = candidates;
  } else sub = scores;
  const top = topK(sub, n);
  const items: ScoredItem[] = [];
  const max = top.scores.length > 0 ? top.scores[0] : 0;
  for (let t = 0; t < top.items.length; t++) {
    if (!(top.scores[t] > 0)) break;
    const i = idx ? idx[top.items[t]] : top.items[t];
    // normalised so the best is 1, as the popularity lists are
    items.push({ itemId: dataset.items.ids[i], score: Math.round((top.scores[t] / max) * 1e6) / 1e6 });
  }
  return items.length > 0 ? { segment, items } : undefined;
}

/**
 * Every ranking list: per kind, the global list and one per item attribute value
 * (`rankingSegment(kind, itemSegmentKey(COL, value))`), scores normalised to best = 1.
 */
export function rankingLists(dataset: Dataset, options: SurfaceOptions = {}): SegmentList[] {
  const o = resolve(dataset, options);
  const out: SegmentList[] = [];
  for (const kind of RANKING_KINDS) {
    const scores = rankingScores(dataset, kind, options);
    const global = rankedList(dataset, rankingSegment(kind), scores, undefined, o.listSize);
    if (global) out.push(global);
    for (const col of dataset.itemAttributes) {
      const buckets: number[][] = Array.from({ length: col.dict.size }, () => []);
      for (let i = 0; i < dataset.items.size && i + 1 < col.offsets.length; i++) {
        if (!(scores[i] > 0)) continue;
        for (let p = col.offsets[i]; p < col.offsets[i + 1]; p++) buckets[col.values[p]].push(i);
      }
      for (let v = 0; v < col.dict.size; v++) {
        if (buckets[v].length === 0) continue;
        const seg = rankingSegment(kind, itemSegmentKey(col.name, col.dict.ids[v]));
        const list = rankedList(dataset, seg, scores, Int32Array.from(buckets[v]), o.listSize);
        if (list) out.push(list);
      }
    }
  }
  return out;
}
