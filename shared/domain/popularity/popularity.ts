import type { ScoredItem, SegmentList, UserAttributes } from '../../ports/types.js';
import { DEFAULT_EVENT_WEIGHTS, type Recommender, type TopN } from '../algorithms/recommender.js';
import { resolveEventWeights } from '../algorithms/event-weights.js';
import { topK } from '../algorithms/top-k.js';
import { type CategoricalColumn, type Dataset, firstValue, IdIndex } from '../data/dataset.js';
import { ValidationError } from '../errors.js';
import { setOwn } from '../own-property.js';
import { GLOBAL_SEGMENT, itemSegmentKey, segmentChain } from './segments.js';

/**
 * Popularity rankings: the cold-user fallback. One global list, one list per user segment (hierarchical
 * prefixes of the segment columns, only when enough users support it) and one list per item attribute
 * value. All scoring runs over typed arrays indexed by dense user/item/segment indices.
 */

export interface PopularityOptions {
  /** Weight per event type (case-insensitive); default DEFAULT_EVENT_WEIGHTS; unknown types and '' weigh 1. */
  eventWeights?: Readonly<Record<string, number>>;
  /** Time decay half-life relative to `now` (default 0 = no decay, since the right half-life depends on the shop: set POPULARITY_HALF_LIFE_DAYS, e.g. 14, for a fast-moving catalogue; 0 or Infinity = no decay). */
  halfLifeDays?: number;
  /** Unix seconds; default = max timestamp in the data (deterministic). */
  now?: number;
  /** User attribute columns for segments, priority order; default: all user attribute columns. */
  segmentColumns?: string[];
  /** Minimum distinct users (with events) in a segment for it to get its own list (default 20). */
  minSupport?: number;
  /** Items per segment and item-attribute list (default 500). */
  listSize?: number;
  /**
   * Items in the global list (default: every item with a positive score). The global list ends every
   * fallback chain, so holding the whole ranking lets the request path fill any answer the catalogue
   * allows, however many items NG and exclude remove (the store pages it).
   */
  globalListSize?: number;
  /** Item attribute columns for per-attribute top lists; default all item attribute columns. */
  itemColumns?: string[];
  /** A user's repeated events on an item count as the max weight, not the sum (default true: robust to bots). */
  countUsersOnce?: boolean;
}

const DAY_SECONDS = 86_400;

interface ResolvedOptions {
  readonly eventWeights: Readonly<Record<string, number>>;
  readonly halfLifeSeconds: number; // Infinity = no decay
  readonly now: number;
  readonly segmentColumns: string[];
  readonly minSupport: number;
  readonly listSize: number;
  readonly globalListSize: number;
  readonly itemColumns: string[];
  readonly countUsersOnce: boolean;
}

function resolveOptions(dataset: Dataset, options: PopularityOptions = {}): ResolvedOptions {
  const halfLifeDays = options.halfLifeDays ?? 0;
  if (Number.isNaN(halfLifeDays) || halfLifeDays < 0) {
    throw new ValidationError(`halfLifeDays must be >= 0, got ${halfLifeDays}`, 'halfLifeDays');
  }
  const minSupport = options.minSupport ?? 20;
  if (!Number.isFinite(minSupport) || minSupport < 0) {
    throw new ValidationError(`minSupport must be a finite number >= 0, got ${minSupport}`, 'minSupport');
  }
  const listSize = options.listSize ?? 500;
  if (!Number.isInteger(listSize) || listSize < 1) {
    throw new ValidationError(`listSize must be a positive integer, got ${listSize}`, 'listSize');
  }
  const globalListSize = options.globalListSize ?? Number.POSITIVE_INFINITY;
  if (!(globalListSize >= 1) || (Number.isFinite(globalListSize) && !Number.isInteger(globalListSize))) {
    throw new ValidationError(
      `globalListSize must be a positive integer, got ${globalListSize}`,
      'globalListSize',
    );
  }
  const eventWeights = options.eventWeights ?? DEFAULT_EVENT_WEIGHTS;
  resolveEventWeights(dataset.eventTypes, eventWeights); // the trainers' shared rule, checked up front
  let now = options.now;
  if (now === undefined) {
    const ts = dataset.interactions.timestamp;
    now = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < dataset.interactions.length; r++) if (ts[r] > now) now = ts[r];
    if (now === Number.NEGATIVE_INFINITY) now = 0;
  } else if (!Number.isFinite(now)) {
    throw new ValidationError(`now must be finite unix seconds, got ${now}`, 'now');
  }
  const checkColumns = (
    cols: string[] | undefined,
    available: CategoricalColumn[],
    parameter: string,
  ): string[] => {
    const names = available.map((c) => c.name);
    if (cols === undefined) return names;
    for (const c of cols) {
      // a typo here would silently disable segments, so unknown columns are an error
      if (!names.includes(c)) {
        throw new ValidationError(
          `unknown column '${c}' (available: ${names.join(', ') || 'none'})`,
          parameter,
        );
      }
    }
    return [...cols];
  };
  return {
    eventWeights,
    halfLifeSeconds: halfLifeDays === 0 ? Number.POSITIVE_INFINITY : halfLifeDays * DAY_SECONDS,
    now,
    segmentColumns: checkColumns(options.segmentColumns, dataset.userAttributes, 'segmentColumns'),
    minSupport,
    listSize,
    globalListSize,
    itemColumns: checkColumns(options.itemColumns, dataset.itemAttributes, 'itemColumns'),
    countUsersOnce: options.countUsersOnce ?? true,
  };
}

/** Weight per event type index (case-insensitive lookup; '' and unknown types weigh 1). */
/**
 * Per-user distinct items with their aggregated (decayed, weighted) weight, as CSR over users. Every
 * interacted item is kept (so it counts as seen) even when its weight is 0.
 */
interface UserItemWeights {
  readonly indptr: Int32Array;
  readonly items: Int32Array;
  readonly weights: Float64Array;
}

function aggregateUserItems(dataset: Dataset, opts: ResolvedOptions): UserItemWeights {
  const { user, item, timestamp, eventType, length } = dataset.interactions;
  const nUsers = dataset.users.size;
  const nItems = dataset.items.size;
  const typeWeight = resolveEventWeights(dataset.eventTypes, opts.eventWeights);
  const decay = Number.isFinite(opts.halfLifeSeconds);

  // counting sort of rows by user
  const counts = new Int32Array(nUsers + 1);
  for (let r = 0; r < length; r++) counts[user[r] + 1]++;
  for (let u = 0; u < nUsers; u++) counts[u + 1] += counts[u];
  const fill = counts.slice(0, nUsers);
  const rows = new Int32Array(length);
  for (let r = 0; r < length; r++) rows[fill[user[r]]++] = r;

  // merge duplicates per user with a scratch array indexed by item (-1 = not seen by this user yet)
  const slot = new Int32Array(nItems).fill(-1);
  const indptr = new Int32Array(nUsers + 1);
  const items = new Int32Array(length);
  const weights = new Float64Array(length);
  let nnz = 0;
  for (let u = 0; u < nUsers; u++) {
    const start = nnz;
    for (let p = counts[u]; p < counts[u + 1]; p++) {
      const r = rows[p];
      let w = typeWeight[eventType[r]];
      if (!(w > 0)) w = 0; // zero-weight events mark the item seen but add no popularity
      if (decay && w > 0) {
        const age = Math.max(0, opts.now - timestamp[r]); // future events are not boosted above weight 1
        w *= 2 ** (-age / opts.halfLifeSeconds);
      }
      const i = item[r];
      const s = slot[i];
      if (s < 0) {
        slot[i] = nnz;
        items[nnz] = i;
        weights[nnz] = w;
        nnz++;
      } else if (opts.countUsersOnce) {
        if (w > weights[s]) weights[s] = w;
      } else {
        weights[s] += w;
      }
    }
    for (let p = start; p < nnz; p++) slot[items[p]] = -1;
    indptr[u + 1] = nnz;
  }
  return { indptr, items: items.slice(0, nnz), weights: weights.slice(0, nnz) };
}

/** A ranked list over item indices, scores normalised so the best is 1. */
interface IndexList {
  readonly key: string;
  readonly items: Int32Array;
  readonly scores: Float32Array;
}

function normalised(key: string, top: TopN): IndexList {
  const max = top.scores.length > 0 ? top.scores[0] : 1;
  const scores = new Float32Array(top.scores.length);
  for (let j = 0; j < scores.length; j++) scores[j] = top.scores[j] / max;
  return { key, items: top.items, scores };
}

/** Everything computed from one pass: global scores over all items, and every list. */
interface PopularityModel {
  readonly columns: string[];
  /** Raw global score per item (0 = never interacted with positive weight). */
  readonly globalScores: Float64Array;
  /** Items with a positive global score, best first (ties: lower index first). */
  readonly globalOrder: Int32Array;
  readonly global: IndexList;
  /** User segment lists (supported segments only), coarse segments before their refinements. */
  readonly segments: IndexList[];
  readonly itemLists: IndexList[];
  readonly seen: UserItemWeights;
}

/** UserAttributes of a user index from the dataset's columns (first value of each column). */
function userAttributesOf(dataset: Dataset, columns: readonly string[], u: number): UserAttributes {
  const attrs: Record<string, string> = {};
  if (u < 0 || u >= dataset.users.size) return attrs;
  for (const col of dataset.userAttributes) {
    if (!columns.includes(col.name)) continue;
    const v = firstValue(col, u);
    if (v !== undefined) setOwn(attrs, col.name, v);
  }
  return attrs;
}

function buildModel(dataset: Dataset, options?: PopularityOptions): PopularityModel {
  const opts = resolveOptions(dataset, options);
  const nUsers = dataset.users.size;
  const nItems = dataset.items.size;
  const seen = aggregateUserItems(dataset, opts);
  const { indptr, items, weights } = seen;

  // Which users carry popularity signal: at least one positively weighted item.
  const active = new Uint8Array(nUsers);
  for (let u = 0; u < nUsers; u++) {
    for (let p = indptr[u]; p < indptr[u + 1]; p++) {
      if (weights[p] > 0) {
        active[u] = 1;
        break;
      }
    }
  }

  // Global scores and ranking.
  const globalScores = new Float64Array(nItems);
  for (let p = 0; p < items.length; p++) globalScores[items[p]] += weights[p];
  // Full ranking of scored items (same order as topK: score desc, lower index first); one sort, since
  // the evaluation recommender walks all of it.
  let nScored = 0;
  for (let i = 0; i < nItems; i++) if (globalScores[i] > 0) nScored++;
  const globalOrder = new Int32Array(nScored);
  for (let i = 0, j = 0; i < nItems; i++) if (globalScores[i] > 0) globalOrder[j++] = i;
  globalOrder.sort((a, b) => globalScores[b] - globalScores[a] || a - b);
  const globalTop = globalOrder.slice(0, Math.min(globalOrder.length, opts.globalListSize));
  const globalTopScores = new Float32Array(globalTop.length);
  for (let j = 0; j < globalTop.length; j++) globalTopScores[j] = globalScores[globalTop[j]];
  const global = normalised(GLOBAL_SEGMENT, { items: globalTop, scores: globalTopScores });

  // Segment index: intern every user's chain, count active users per segment. Support only shrinks along
  // a chain (every user of A&B is a user of A), so the supported keys of a chain are a coarse-end suffix.
  const segIndex = new IdIndex();
  segIndex.intern(GLOBAL_SEGMENT); // 0
  const chainStart = new Int32Array(nUsers + 1);
  const chainSegs: number[] = [];
  // Users with the same attribute values share a chain: memoise by their value indices, so key strings
  // are built once per distinct combination, not once per user.
  const segCols = opts.segmentColumns.map((name) => dataset.userAttributes.find((c) => c.name === name)!);
  const chainOf = new Map<string, number[]>();
  const valueIdx = new Int32Array(segCols.length);
  for (let u = 0; u < nUsers; u++) {
    for (let c = 0; c < segCols.length; c++) {
      const col = segCols[c];
      valueIdx[c] =
        u + 1 < col.offsets.length && col.offsets[u] < col.offsets[u + 1] ? col.values[col.offsets[u]] : -1;
    }
    const memo = valueIdx.join(',');
    let segs = chainOf.get(memo);
    if (segs === undefined) {
      const chain = segmentChain(userAttributesOf(dataset, opts.segmentColumns, u), opts.segmentColumns);
      segs = chain.slice(0, -1).map((key) => segIndex.intern(key));
      chainOf.set(memo, segs);
    }
    for (const s of segs) chainSegs.push(s);
    chainStart[u + 1] = chainSegs.length;
  }
  const support = new Int32Array(segIndex.size);
  for (let u = 0; u < nUsers; u++) {
    if (active[u] === 0) continue;
    for (let k = chainStart[u]; k < chainStart[u + 1]; k++) support[chainSegs[k]]++;
  }
  const supported = (s: number) => support[s] > 0 && support[s] >= opts.minSupport;

  // Segment → active users CSR (users in ascending index order, so sums are deterministic).
  const segCount = new Int32Array(segIndex.size + 1);
  for (let u = 0; u < nUsers; u++) {
    if (active[u] === 0) continue;
    for (let k = chainStart[u]; k < chainStart[u + 1]; k++)
      if (supported(chainSegs[k])) segCount[chainSegs[k] + 1]++;
  }
  for (let s = 0; s < segIndex.size; s++) segCount[s + 1] += segCount[s];
  const segUsers = new Int32Array(segCount[segIndex.size]);
  const segFill = segCount.slice(0, segIndex.size);
  for (let u = 0; u < nUsers; u++) {
    if (active[u] === 0) continue;
    for (let k = chainStart[u]; k < chainStart[u + 1]; k++) {
      const s = chainSegs[k];
      if (supported(s)) segUsers[segFill[s]++] = u;
    }
  }

  // Score each supported segment in one scratch Float64Array over items (memory O(items), not
  // segments × items); only touched items are ranked.
  const scratch = new Float64Array(nItems);
  const touchedMark = new Uint8Array(nItems);
  const touched = new Int32Array(nItems);
  const segmentLists: { depth: number; list: IndexList }[] = [];
  for (let s = 1; s < segIndex.size; s++) {
    if (!supported(s)) continue;
    let nTouched = 0;
    for (let q = segCount[s]; q < segCount[s + 1]; q++) {
      const u = segUsers[q];
      for (let p = indptr[u]; p < indptr[u + 1]; p++) {
        const w = weights[p];
        if (w <= 0) continue;
        const i = items[p];
        if (touchedMark[i] === 0) {
          touchedMark[i] = 1;
          touched[nTouched++] = i;
        }
        scratch[i] += w;
      }
    }
    const idx = touched.subarray(0, nTouched).sort(); // ascending item index keeps topK's tie-break by item
    const compact = new Float64Array(nTouched);
    for (let j = 0; j < nTouched; j++) {
      compact[j] = scratch[idx[j]];
      scratch[idx[j]] = 0;
      touchedMark[idx[j]] = 0;
    }
    const top = topK(compact, opts.listSize);
    const mapped = new Int32Array(top.items.length);
    for (let j = 0; j < mapped.length; j++) mapped[j] = idx[top.items[j]];
    const key = segIndex.ids[s];
    segmentLists.push({
      depth: key.split('&').length,
      list: normalised(key, { items: mapped, scores: top.scores }),
    });
  }
  segmentLists.sort((a, b) => a.depth - b.depth); // stable: discovery order within a depth
  const segments = segmentLists.map((x) => x.list);

  // Item attribute lists: walk the global ranking once and append each item to its values' lists.
  const itemLists: IndexList[] = [];
  for (const name of opts.itemColumns) {
    const col = dataset.itemAttributes.find((c) => c.name === name)!;
    const nValues = col.dict.size;
    const lens = new Int32Array(nValues);
    const bufItems = Array.from({ length: nValues }, () => new Int32Array(0));
    const bufScores = Array.from({ length: nValues }, () => new Float32Array(0));
    const cap = (v: number) => {
      if (bufItems[v].length === 0) {
        bufItems[v] = new Int32Array(opts.listSize);
        bufScores[v] = new Float32Array(opts.listSize);
      }
    };
    for (let j = 0; j < globalOrder.length; j++) {
      const i = globalOrder[j];
      if (i + 1 >= col.offsets.length) continue;
      for (let p = col.offsets[i]; p < col.offsets[i + 1]; p++) {
        const v = col.values[p];
        if (lens[v] >= opts.listSize) continue;
        cap(v);
        bufItems[v][lens[v]] = i;
        bufScores[v][lens[v]] = globalScores[i];
        lens[v]++;
      }
    }
    for (let v = 0; v < nValues; v++) {
      if (lens[v] === 0) continue;
      const top = { items: bufItems[v].slice(0, lens[v]), scores: bufScores[v].slice(0, lens[v]) };
      itemLists.push(normalised(itemSegmentKey(name, col.dict.ids[v]), top));
    }
  }

  return { columns: opts.segmentColumns, globalScores, globalOrder, global, segments, itemLists, seen };
}

function toSegmentList(dataset: Dataset, list: IndexList): SegmentList {
  const items: ScoredItem[] = new Array(list.items.length);
  for (let j = 0; j < list.items.length; j++) {
    items[j] = { itemId: dataset.items.ids[list.items[j]], score: list.scores[j] };
  }
  return { segment: list.key, items };
}

/**
 * All lists: global, every user segment (each prefix of the segment column combination with >= minSupport
 * users), and per item attribute value. Scores normalised to (0, 1] (best = 1) so that lists are comparable.
 * Order: 'global', then user segments coarse to specific, then item attribute lists by column.
 * Support counts distinct users with at least one positively weighted event.
 */
export function computePopularityLists(dataset: Dataset, options?: PopularityOptions): SegmentList[] {
  const model = buildModel(dataset, options);
  return [model.global, ...model.segments, ...model.itemLists].map((l) => toSegmentList(dataset, l));
}

/**
 * Per-recommender scratch for "items to skip": a stamp per item instead of a fresh Uint8Array per call
 * (evaluation calls recommend for every user; catalogues can have millions of items). recommend() is
 * synchronous, so one scratch per recommender is safe.
 */
class SkipMarks {
  private readonly marks: Int32Array;
  private stamp = 0;
  constructor(
    nItems: number,
    private readonly seen: UserItemWeights,
  ) {
    this.marks = new Int32Array(nItems);
  }
  /** Starts a new call; marks the user's training items unless includeSeen. */
  begin(user: number, includeSeen: boolean): void {
    if (this.stamp === 0x7fffffff) {
      this.marks.fill(0);
      this.stamp = 0;
    }
    this.stamp++;
    if (includeSeen || user < 0 || user + 1 >= this.seen.indptr.length) return;
    for (let p = this.seen.indptr[user]; p < this.seen.indptr[user + 1]; p++)
      this.marks[this.seen.items[p]] = this.stamp;
  }
  has(item: number): boolean {
    return this.marks[item] === this.stamp;
  }
  add(item: number): void {
    this.marks[item] = this.stamp;
  }
}

/** Appends up to n - filled unmarked items of `list` to the output arrays; returns the new fill. */
function takeFrom(
  list: IndexList,
  marks: SkipMarks,
  n: number,
  items: Int32Array,
  scores: Float32Array,
  filled: number,
) {
  let k = filled;
  for (let j = 0; j < list.items.length && k < n; j++) {
    const i = list.items[j];
    if (marks.has(i)) continue;
    marks.add(i);
    items[k] = i;
    scores[k] = list.scores[j];
    k++;
  }
  return k;
}

/** The global ranking over every scored item (not cut at listSize), normalised to best = 1. */
function fullGlobalList(model: PopularityModel): IndexList {
  const { globalOrder, globalScores } = model;
  const max = globalOrder.length > 0 ? globalScores[globalOrder[0]] : 1;
  const scores = new Float32Array(globalOrder.length);
  for (let j = 0; j < scores.length; j++) scores[j] = globalScores[globalOrder[j]] / max;
  return { key: GLOBAL_SEGMENT, items: globalOrder, scores };
}

/**
 * Recommender over global popularity (for evaluation); ranks every item with a positive score (not only
 * the top listSize) and excludes seen items unless includeSeen. name 'popularity'.
 */
export function trainPopularity(dataset: Dataset, options?: PopularityOptions): Recommender {
  const model = buildModel(dataset, options);
  const global = fullGlobalList(model);
  const marks = new SkipMarks(dataset.items.size, model.seen);
  return {
    name: 'popularity',
    recommend(user: number, n: number, opts = {}): TopN {
      marks.begin(user, opts.includeSeen === true);
      const cap = Math.max(0, Math.min(n, global.items.length));
      const items = new Int32Array(cap);
      const scores = new Float32Array(cap);
      const k = takeFrom(global, marks, cap, items, scores, 0);
      return { items: items.slice(0, k), scores: scores.slice(0, k) };
    },
  };
}

/**
 * Segment-aware recommender: for a user index, uses their attributes' segment chain (first list that
 * exists, backing off to coarser lists and finally the full global ranking when it runs short) — what the
 * request path does for cold users. Excludes seen items unless includeSeen. name 'popularity:segment'.
 */
export function trainSegmentPopularity(dataset: Dataset, options?: PopularityOptions): Recommender {
  const model = buildModel(dataset, options);
  const lists = new Map<string, IndexList>();
  lists.set(GLOBAL_SEGMENT, fullGlobalList(model));
  for (const l of model.segments) lists.set(l.key, l);
  const marks = new SkipMarks(dataset.items.size, model.seen);
  return {
    name: 'popularity:segment',
    recommend(user: number, n: number, opts = {}): TopN {
      const chain =
        model.columns.length > 0
          ? segmentChain(userAttributesOf(dataset, model.columns, user), model.columns)
          : [GLOBAL_SEGMENT];
      marks.begin(user, opts.includeSeen === true);
      const cap = Math.max(0, Math.min(n, dataset.items.size));
      const items = new Int32Array(cap);
      const scores = new Float32Array(cap);
      let k = 0;
      for (const key of chain) {
        const list = lists.get(key);
        if (list !== undefined) k = takeFrom(list, marks, cap, items, scores, k);
        if (k >= cap) break;
      }
      return { items: items.slice(0, k), scores: scores.slice(0, k) };
    },
  };
}

/**
 * Merges lists along a back-off chain into n unique items, skipping items for which `skip(itemId)` is
 * true; each entry records which segment filled it. Segments missing from `lists` are passed over.
 * Entries keep chain order; each score is the one from the list that filled it (lists are normalised to
 * best = 1, so scores may rise when a coarser list takes over). Pure function used by the request path.
 */
export function fillFromChain(
  chain: readonly string[],
  lists: ReadonlyMap<string, readonly ScoredItem[]>,
  n: number,
  skip: (itemId: string) => boolean,
): { itemId: string; score: number; segment: string }[] {
  const out: { itemId: string; score: number; segment: string }[] = [];
  if (!(n > 0)) return out;
  const taken = new Set<string>();
  for (const segment of chain) {
    const list = lists.get(segment);
    if (list === undefined) continue;
    for (const { itemId, score } of list) {
      if (taken.has(itemId)) continue;
      taken.add(itemId);
      if (skip(itemId)) continue;
      out.push({ itemId, score, segment });
      if (out.length >= n) return out;
    }
  }
  return out;
}
