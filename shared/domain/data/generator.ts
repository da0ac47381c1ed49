import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { ValidationError } from '../errors.js';
import { Rng } from '../random.js';
import { type CategoricalColumn, type Dataset, IdIndex, type Interactions } from './dataset.js';

/**
 * Synthetic shop generator: the embedded default dataset of osusume, in Amazon Personalize's 3-CSV
 * contract (interactions.csv, users.csv, items.csv).
 *
 * Planted structure, so that recommenders have something real to learn:
 * - items belong to categories (of uneven size) and, inside a category, to latent taste clusters of
 *   12-40 items; popularity inside a category is Zipf-like;
 * - each user segment (GENDER × AGE_GROUP × REGION) prefers some categories; each user has 1-6 latent
 *   interests (taste clusters), mostly drawn from the segment's preferred categories;
 * - a session follows one interest: views come from its cluster, its category, or (exploration) the
 *   global best-sellers; favorite/cart happen on viewed items, purchases at checkout of carted items;
 * - activity is Pareto-distributed (few heavy users, many light ones, ~4% cold users with 1-2 views);
 * - timestamps are spread over `days` days (diurnal profile) ending at a fixed `end`, never the clock.
 *
 * Everything is drawn from one seeded {@link Rng} in a fixed order, so a seed gives the same bytes.
 * Rows are produced user by user (each user's events in time order) and streamed, so 1M users /
 * 20M interactions never exist as objects.
 */

/** Options of the generator; every field has a default (see {@link DEFAULT_GENERATE_OPTIONS}). */
export interface GenerateOptions {
  /** Number of users (each gets at least one interaction). */
  readonly users?: number;
  /** Number of items in the catalogue (long-tail items may get no interaction). */
  readonly items?: number;
  /** Length of the simulated period in days. */
  readonly days?: number;
  /** Seed of the random generator. */
  readonly seed?: number;
  /** End of the simulated period (exclusive), unix seconds. */
  readonly end?: number;
}

/** Options after defaults and validation. */
export type ResolvedGenerateOptions = Required<GenerateOptions>;

/** 2026-11-01T00:00:00Z: a fixed reference date so the output never depends on the clock. */
export const DEFAULT_END = Date.UTC(2026, 10, 1) / 1000;

export const DEFAULT_GENERATE_OPTIONS: ResolvedGenerateOptions = {
  users: 2000,
  items: 1000,
  days: 30,
  seed: 42,
  end: DEFAULT_END,
};

/** Event types in funnel order; index 0..3 is the `type` passed to {@link ShopSink.event}. */
export const EVENT_TYPES = ['view', 'favorite', 'cart', 'purchase'] as const;
const VIEW = 0;
const FAVORITE = 1;
const CART = 2;
const PURCHASE = 3;

export const GENDERS = ['f', 'm', 'x'] as const;
export const AGE_GROUPS = ['18-24', '25-34', '35-44', '45-54', '55+'] as const;
export const REGIONS = ['kanto', 'kansai', 'chubu', 'kyushu', 'tohoku'] as const;
const GENDER_SHARE = [0.52, 0.44, 0.04];
const AGE_SHARE = [0.16, 0.26, 0.24, 0.19, 0.15];
const REGION_SHARE = [0.38, 0.22, 0.18, 0.12, 0.1];

/** Category names with a typical price (yen) so that PRICE_BAND and purchase values look plausible. */
const CATEGORIES: ReadonlyArray<readonly [string, number]> = [
  ['fashion', 4000],
  ['shoes', 7000],
  ['beauty', 2500],
  ['electronics', 25000],
  ['home', 5000],
  ['kitchen', 3000],
  ['grocery', 800],
  ['books', 1500],
  ['toys', 3000],
  ['sports', 6000],
  ['outdoor', 9000],
  ['health', 2000],
  ['baby', 2500],
  ['pets', 1800],
  ['stationery', 600],
  ['games', 6500],
  ['music', 2800],
  ['garden', 3500],
  ['jewelry', 15000],
  ['automotive', 8000],
];
export const PRICE_BANDS = ['low', 'mid', 'high', 'premium'] as const;

export const USER_HEADER = 'USER_ID,GENDER,AGE_GROUP,REGION';
export const ITEM_HEADER = 'ITEM_ID,CATEGORY,PRICE_BAND,CREATION_TIMESTAMP';
export const INTERACTION_HEADER = 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE';

const DAY = 86_400;
const MAX_USERS = 50_000_000;
const MAX_ITEMS = 10_000_000;
const MAX_DAYS = 3650;
const MAX_SESSIONS = 300;
const MAX_VIEWS = 30;
/** Share of users with a single 1-2 view session (cold start). */
const COLD_SHARE = 0.04;
/** Share of interests drawn from the segment's category preferences (the rest from overall taste). */
const SEGMENT_LOYALTY = 0.85;
/** Where a view comes from: the interest's cluster, else its category, else global best-sellers. */
const VIEW_FROM_CLUSTER = 0.7;
const VIEW_FROM_CATEGORY = 0.88;
const P_FAVORITE = 0.07;
const P_CART = 0.04;
const P_CART_AFTER_FAVORITE = 0.2;
const P_PURCHASE_OF_CART = 0.55;
/** Relative hourly activity (JST-ish shop: quiet nights, lunch and evening peaks). */
const HOURLY = [
  0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 0.9, 1, 1, 1.1, 1.4, 1.2, 1, 1, 1, 1.1, 1.3, 1.6, 1.9, 2, 1.7, 0.9,
];

function checkInteger(name: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ValidationError(
      `--${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}`,
      name,
    );
  }
  return n;
}

/**
 * Applies defaults and validates generator options (numbers or numeric strings, as given on the
 * command line). `end` also accepts an ISO date string.
 * @throws ValidationError naming the offending option.
 */
export function resolveGenerateOptions(
  options: GenerateOptions | Readonly<Record<string, unknown>> = {},
): ResolvedGenerateOptions {
  const o = options as Record<string, unknown>;
  const d = DEFAULT_GENERATE_OPTIONS;
  const users = o.users === undefined ? d.users : checkInteger('users', o.users, 1, MAX_USERS);
  const items = o.items === undefined ? d.items : checkInteger('items', o.items, 1, MAX_ITEMS);
  const days = o.days === undefined ? d.days : checkInteger('days', o.days, 1, MAX_DAYS);
  const seed = o.seed === undefined ? d.seed : checkInteger('seed', o.seed, 0, 0xffffffff);
  let end = d.end;
  if (o.end !== undefined) {
    const raw = o.end;
    const asNumber =
      typeof raw === 'number' ? raw : /^\d+$/.test(String(raw).trim()) ? Number(raw) : Number.NaN;
    end = Number.isFinite(asNumber) ? asNumber : Math.floor(Date.parse(String(raw)) / 1000);
    if (!Number.isInteger(end) || end < days * DAY) {
      throw new ValidationError(
        `--end must be unix seconds or an ISO date after ${days} days past the epoch, got ${JSON.stringify(raw)}`,
        'end',
      );
    }
  }
  return { users, items, days, seed, end };
}

/** Receives the generated rows; called user by user, each user's events in time order. */
export interface ShopSink {
  /** User `user` with attribute indices into GENDERS, AGE_GROUPS, REGIONS. */
  user(user: number, gender: number, ageGroup: number, region: number): void;
  /** An interaction; `type` indexes EVENT_TYPES; purchases carry the item price as value. */
  event(user: number, item: number, timestamp: number, type: number): void;
}

/** Zero-padded id of width `w` (ids sort in index order, and are safe to write unquoted). */
function padId(prefix: string, i: number, w: number): string {
  return prefix + String(i).padStart(w, '0');
}

/** First index p in [lo, hi) with cdf[p] > x (cdf ascending); hi-1 if none (guards rounding). */
function searchCdf(cdf: Float64Array, lo: number, hi: number, x: number): number {
  let a = lo;
  let b = hi - 1;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (cdf[m] > x) b = m;
    else a = m + 1;
  }
  return a;
}

function smallCdf(weights: readonly number[]): Float64Array {
  const cdf = new Float64Array(weights.length);
  let s = 0;
  for (let i = 0; i < weights.length; i++) cdf[i] = s += weights[i];
  for (let i = 0; i < cdf.length; i++) cdf[i] /= s;
  return cdf;
}

/**
 * The generative model: catalogue, segments and per-user simulation. Building it draws the catalogue;
 * {@link ShopModel.simulateUser} must then be called for users 0..users-1 in order (the RNG is shared,
 * which is what makes the output a pure function of the options).
 */
export class ShopModel {
  readonly options: ResolvedGenerateOptions;
  readonly categoryNames: string[];
  readonly userIds: (u: number) => string;
  readonly itemIds: string[];
  /** Per item: category index, price band index, price (yen), creation time (unix s), taste cluster. */
  readonly itemCategory: Uint8Array;
  readonly itemBand: Uint8Array;
  readonly itemPrice: Float64Array;
  readonly itemCreated: Float64Array;
  readonly itemCluster: Int32Array;
  readonly clusterCount: number;

  private readonly rng: Rng;
  private readonly start: number;
  // Sampling tables (CDFs are cumulative within their range, ranges given by the *Ptr arrays).
  private readonly catPtr: Int32Array;
  private readonly catItems: Int32Array;
  private readonly catItemCdf: Float64Array;
  private readonly clusterPtr: Int32Array;
  private readonly clusterItems: Int32Array;
  private readonly clusterItemCdf: Float64Array;
  private readonly clusterAnchor: Int32Array;
  private readonly catClusterPtr: Int32Array;
  private readonly catClusterCdf: Float64Array;
  private readonly globalCdf: Float64Array;
  private readonly catWeightCdf: Float64Array;
  private readonly segmentCdf: Float64Array;
  private readonly genderCdf = smallCdf(GENDER_SHARE);
  private readonly ageCdf = smallCdf(AGE_SHARE);
  private readonly regionCdf = smallCdf(REGION_SHARE);
  private readonly hourCdf = smallCdf(HOURLY);
  // Per-user scratch, reused so simulating a user allocates nothing.
  private readonly sessionStart = new Float64Array(MAX_SESSIONS);
  /** At most 12 sessions a day, so that short periods do not pile heavy users' sessions up at the end. */
  private readonly maxSessions: number;
  private readonly interestCluster = new Int32Array(8);
  private readonly interestCdf = new Float64Array(8);
  private readonly cart = new Int32Array(MAX_VIEWS);

  constructor(options: GenerateOptions = {}) {
    const o = resolveGenerateOptions(options);
    this.options = o;
    this.start = o.end - o.days * DAY;
    this.maxSessions = Math.min(MAX_SESSIONS, 12 * o.days);
    const rng = new Rng(o.seed);
    this.rng = rng;
    const M = o.items;
    const userWidth = Math.max(6, String(o.users - 1).length);
    this.userIds = (u) => padId('u', u, userWidth);
    const itemWidth = Math.max(5, String(M - 1).length);
    this.itemIds = new Array<string>(M);
    for (let i = 0; i < M; i++) this.itemIds[i] = padId('i', i, itemWidth);

    // Categories: at least ~25 items each, uneven sizes.
    const C = Math.max(1, Math.min(CATEGORIES.length, Math.floor(M / 25)));
    this.categoryNames = CATEGORIES.slice(0, C).map((c) => c[0]);
    const catWeight: number[] = [];
    for (let c = 0; c < C; c++) catWeight.push(Math.exp(0.5 * rng.normal()));
    this.catWeightCdf = smallCdf(catWeight);
    this.itemCategory = new Uint8Array(M);
    const catCount = new Int32Array(C);
    for (let i = 0; i < M; i++) {
      // The first C items seed every category so none is empty.
      const c = i < C ? i : searchCdf(this.catWeightCdf, 0, C, rng.next());
      this.itemCategory[i] = c;
      catCount[c]++;
    }
    this.catPtr = new Int32Array(C + 1);
    for (let c = 0; c < C; c++) this.catPtr[c + 1] = this.catPtr[c] + catCount[c];
    this.catItems = new Int32Array(M);
    const fill = this.catPtr.slice(0, C);
    for (let i = 0; i < M; i++) this.catItems[fill[this.itemCategory[i]]++] = i;

    // Zipf popularity within a category: a random rank per item, weight 1/(rank+1)^0.9.
    const weight = new Float64Array(M);
    for (let c = 0; c < C; c++) {
      const members = rng.shuffle(this.catItems.subarray(this.catPtr[c], this.catPtr[c + 1]));
      for (let r = 0; r < members.length; r++) weight[members[r]] = 1 / (r + 1) ** 0.9;
    }

    // Taste clusters: contiguous runs of a second shuffle of each category (independent of rank).
    this.itemCluster = new Int32Array(M);
    this.clusterItems = new Int32Array(M);
    const clusterStarts: number[] = [0];
    this.catClusterPtr = new Int32Array(C + 1);
    for (let c = 0; c < C; c++) {
      const s = this.catPtr[c];
      const e = this.catPtr[c + 1];
      const members = rng.shuffle(this.catItems.slice(s, e));
      let p = 0;
      while (p < members.length) {
        let size = 12 + rng.int(29);
        if (members.length - (p + size) < 8) size = members.length - p;
        const k = clusterStarts.length - 1;
        for (let j = p; j < p + size; j++) {
          this.itemCluster[members[j]] = k;
          this.clusterItems[s + j] = members[j];
        }
        p += size;
        clusterStarts.push(s + p);
      }
      this.catClusterPtr[c + 1] = clusterStarts.length - 1;
    }
    const K = clusterStarts.length - 1;
    this.clusterCount = K;
    this.clusterPtr = Int32Array.from(clusterStarts);

    // Sampling CDFs over catItems (category), clusterItems (cluster) and items (global).
    this.catItemCdf = new Float64Array(M);
    const catTotal = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let acc = 0;
      for (let p = this.catPtr[c]; p < this.catPtr[c + 1]; p++)
        this.catItemCdf[p] = acc += weight[this.catItems[p]];
      catTotal[c] = acc;
    }
    this.clusterItemCdf = new Float64Array(M);
    this.clusterAnchor = new Int32Array(K);
    const clusterWeight = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let acc = 0;
      let best = this.clusterItems[this.clusterPtr[k]];
      for (let p = this.clusterPtr[k]; p < this.clusterPtr[k + 1]; p++) {
        const it = this.clusterItems[p];
        this.clusterItemCdf[p] = acc += weight[it];
        if (weight[it] > weight[best]) best = it;
      }
      this.clusterAnchor[k] = best;
      clusterWeight[k] = acc;
    }
    // Interests pick clusters by flattened popularity, so niche clusters still find fans.
    this.catClusterCdf = new Float64Array(K);
    for (let c = 0; c < C; c++) {
      let acc = 0;
      for (let k = this.catClusterPtr[c]; k < this.catClusterPtr[c + 1]; k++)
        this.catClusterCdf[k] = acc += Math.sqrt(clusterWeight[k]);
    }
    this.globalCdf = new Float64Array(M);
    {
      let acc = 0;
      for (let i = 0; i < M; i++) {
        const c = this.itemCategory[i];
        this.globalCdf[i] = acc += (catWeight[c] * weight[i]) / catTotal[c];
      }
    }

    // Prices around the category's typical price; bands relative to it.
    this.itemPrice = new Float64Array(M);
    this.itemBand = new Uint8Array(M);
    for (let i = 0; i < M; i++) {
      const ratio = Math.exp(0.6 * rng.normal());
      const price = Math.max(100, Math.round((CATEGORIES[this.itemCategory[i]][1] * ratio) / 10) * 10);
      this.itemPrice[i] = price;
      this.itemBand[i] = ratio < 0.7 ? 0 : ratio < 1.4 ? 1 : ratio < 2.5 ? 2 : 3;
    }

    // Catalogue built over the past two years; ~5% new arrivals during the period (never a cluster's
    // anchor, which is the fallback when a session meets an item not yet created).
    this.itemCreated = new Float64Array(M);
    const isAnchor = new Uint8Array(M);
    for (let k = 0; k < K; k++) isAnchor[this.clusterAnchor[k]] = 1;
    for (let i = 0; i < M; i++) {
      const fresh = isAnchor[i] === 0 && rng.next() < 0.05;
      const t = fresh ? this.start + rng.next() * o.days * DAY : this.start - rng.next() * 730 * DAY;
      this.itemCreated[i] = Math.floor(t);
    }

    // Segment taste: category logits = gender + age + region/2 effects (one normal per value and
    // category), i.e. every combination of attributes has its own preferred categories.
    const G = GENDERS.length;
    const A = AGE_GROUPS.length;
    const R = REGIONS.length;
    const effect = (n: number, scale: number) => Array.from({ length: n * C }, () => scale * rng.normal());
    const gEff = effect(G, 1.4);
    const aEff = effect(A, 1.4);
    const rEff = effect(R, 0.5);
    this.segmentCdf = new Float64Array(G * A * R * C);
    for (let g = 0; g < G; g++)
      for (let a = 0; a < A; a++)
        for (let r = 0; r < R; r++) {
          const base = ((g * A + a) * R + r) * C;
          let acc = 0;
          for (let c = 0; c < C; c++) {
            acc += catWeight[c] * Math.exp(gEff[g * C + c] + aEff[a * C + c] + rEff[r * C + c]);
            this.segmentCdf[base + c] = acc;
          }
          for (let c = 0; c < C; c++) this.segmentCdf[base + c] /= acc;
        }
  }

  /** Segment index of an attribute combination (GENDER × AGE_GROUP × REGION). */
  segmentOf(gender: number, ageGroup: number, region: number): number {
    return (gender * AGE_GROUPS.length + ageGroup) * REGIONS.length + region;
  }

  private pickInCategory(c: number): number {
    const lo = this.catPtr[c];
    const hi = this.catPtr[c + 1];
    return this.catItems[searchCdf(this.catItemCdf, lo, hi, this.rng.next() * this.catItemCdf[hi - 1])];
  }

  private pickInCluster(k: number): number {
    const lo = this.clusterPtr[k];
    const hi = this.clusterPtr[k + 1];
    return this.clusterItems[
      searchCdf(this.clusterItemCdf, lo, hi, this.rng.next() * this.clusterItemCdf[hi - 1])
    ];
  }

  /** A uniformly random moment of the period, shaped by the hourly activity profile. */
  private randomMoment(): number {
    const day = this.rng.int(this.options.days);
    const hour = searchCdf(this.hourCdf, 0, 24, this.rng.next());
    return this.start + day * DAY + hour * 3600 + this.rng.int(3600);
  }

  /** Simulates user `u` (call for u = 0, 1, 2, ... in order) and emits its rows to `sink`. */
  simulateUser(u: number, sink: ShopSink): void {
    const rng = this.rng;
    const C = this.categoryNames.length;
    const gender = searchCdf(this.genderCdf, 0, GENDERS.length, rng.next());
    const age = searchCdf(this.ageCdf, 0, AGE_GROUPS.length, rng.next());
    const region = searchCdf(this.regionCdf, 0, REGIONS.length, rng.next());
    sink.user(u, gender, age, region);
    const segBase = this.segmentOf(gender, age, region) * C;

    // Activity: Pareto sessions (alpha 1.5), a few cold users with a single tiny session.
    const cold = rng.next() < COLD_SHARE;
    const sessions = cold ? 1 : Math.min(this.maxSessions, Math.ceil(1.6 * (1 - rng.next()) ** (-1 / 1.5)));

    // Latent interests: heavier users have broader taste.
    const nInterests = cold ? 1 : Math.min(6, 1 + rng.int(2) + Math.floor(Math.log2(sessions) / 2));
    let acc = 0;
    for (let j = 0; j < nInterests; j++) {
      const c =
        rng.next() < SEGMENT_LOYALTY
          ? searchCdf(this.segmentCdf, segBase, segBase + C, rng.next()) - segBase
          : searchCdf(this.catWeightCdf, 0, C, rng.next());
      const lo = this.catClusterPtr[c];
      const hi = this.catClusterPtr[c + 1];
      this.interestCluster[j] = searchCdf(
        this.catClusterCdf,
        lo,
        hi,
        rng.next() * this.catClusterCdf[hi - 1],
      );
      this.interestCdf[j] = acc += 0.2 + rng.next();
    }

    const starts = this.sessionStart.subarray(0, sessions);
    for (let s = 0; s < sessions; s++) starts[s] = this.randomMoment();
    starts.sort();

    const lastMoment = this.options.end - 1;
    let t = 0;
    for (let s = 0; s < sessions; s++) {
      t = Math.max(starts[s], t + 600); // sessions never overlap
      const cluster = this.interestCluster[searchCdf(this.interestCdf, 0, nInterests, rng.next() * acc)];
      const category = this.itemCategory[this.clusterAnchor[cluster]];
      const views = cold
        ? 1 + rng.int(2)
        : Math.min(MAX_VIEWS, 1 + Math.floor(Math.log(1 - rng.next()) / Math.log(0.7)));
      let carted = 0;
      for (let v = 0; v < views; v++) {
        const x = rng.next();
        let item: number;
        let affinity = 1; // funnel actions are likelier on items that match the session's interest
        if (x < VIEW_FROM_CLUSTER) item = this.pickInCluster(cluster);
        else if (x < VIEW_FROM_CATEGORY) item = this.pickInCategory(category);
        else {
          item = searchCdf(
            this.globalCdf,
            0,
            this.globalCdf.length,
            rng.next() * this.globalCdf[this.globalCdf.length - 1],
          );
          affinity = 0.5;
        }
        if (this.itemCreated[item] > t) item = this.clusterAnchor[this.itemCluster[item]];
        sink.event(u, item, Math.min(t, lastMoment), VIEW);
        if (cold) continue;
        let favorited = false;
        if (rng.next() < P_FAVORITE * affinity) {
          t += 5 + rng.int(40);
          sink.event(u, item, Math.min(t, lastMoment), FAVORITE);
          favorited = true;
        }
        if (rng.next() < (favorited ? P_CART_AFTER_FAVORITE : P_CART) * affinity) {
          t += 5 + rng.int(40);
          sink.event(u, item, Math.min(t, lastMoment), CART);
          this.cart[carted++] = item;
        }
        t += 10 + Math.floor(-45 * Math.log(1 - rng.next())); // dwell time, exponential
      }
      // Checkout at the end of the session buys part of the cart.
      for (let j = 0; j < carted; j++) {
        if (rng.next() < P_PURCHASE_OF_CART) {
          t += 20 + rng.int(60);
          sink.event(u, this.cart[j], Math.min(t, lastMoment), PURCHASE);
        }
      }
    }
  }
}

/** Counts of rows written or generated. */
export interface ShopCounts {
  readonly users: number;
  readonly items: number;
  readonly interactions: number;
}

/** An in-memory generated shop. */
export interface GeneratedShop {
  readonly options: ResolvedGenerateOptions;
  /**
   * The shop as a Dataset: user i is `u…i`, item j is `i…j` (indices equal generator indices), event
   * types interned as ['', 'view', 'favorite', 'cart', 'purchase'], purchases valued at the price.
   */
  readonly dataset: Dataset;
  /** The latent taste cluster of each item (planted structure, absent from the CSVs); for tests. */
  readonly itemCluster: Int32Array;
}

/** Growable column (doubling), so the in-memory shop never holds one object per row. */
class Grow<T extends Int32Array | Float64Array | Uint16Array | Float32Array> {
  a: T;
  constructor(private readonly make: (n: number) => T) {
    this.a = make(4096);
  }
  push(i: number, v: number): void {
    if (i === this.a.length) {
      const b = this.make(i * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[i] = v;
  }
}

function singleValueColumn(name: string, values: readonly string[], codes: Uint8Array): CategoricalColumn {
  const dict = new IdIndex();
  for (const v of values) dict.intern(v);
  const offsets = new Int32Array(codes.length + 1);
  for (let e = 0; e < codes.length; e++) offsets[e + 1] = e + 1;
  return { name, dict, offsets, values: Int32Array.from(codes) };
}

/**
 * Generates a shop in memory (typed arrays; fine up to a few million interactions). Same options,
 * same content as {@link writeShop}.
 */
export function generateShop(options: GenerateOptions = {}): GeneratedShop {
  const model = new ShopModel(options);
  const o = model.options;
  const gender = new Uint8Array(o.users);
  const age = new Uint8Array(o.users);
  const region = new Uint8Array(o.users);
  const user = new Grow((k) => new Int32Array(k));
  const item = new Grow((k) => new Int32Array(k));
  const ts = new Grow((k) => new Float64Array(k));
  const et = new Grow((k) => new Uint16Array(k));
  const ev = new Grow((k) => new Float32Array(k));
  let n = 0;
  const sink: ShopSink = {
    user(u, g, a, r) {
      gender[u] = g;
      age[u] = a;
      region[u] = r;
    },
    event(u, it, t, type) {
      user.push(n, u);
      item.push(n, it);
      ts.push(n, t);
      et.push(n, type + 1); // index 0 is the empty event type
      ev.push(n, type === PURCHASE ? model.itemPrice[it] : Number.NaN);
      n++;
    },
  };
  for (let u = 0; u < o.users; u++) model.simulateUser(u, sink);

  const users = new IdIndex();
  for (let u = 0; u < o.users; u++) users.intern(model.userIds(u));
  const items = new IdIndex();
  for (const id of model.itemIds) items.intern(id);
  const eventTypes = new IdIndex();
  for (const e of ['', ...EVENT_TYPES]) eventTypes.intern(e);
  const interactions: Interactions = {
    length: n,
    user: user.a.slice(0, n),
    item: item.a.slice(0, n),
    timestamp: ts.a.slice(0, n),
    eventType: et.a.slice(0, n),
    eventValue: ev.a.slice(0, n),
  };
  const dataset: Dataset = {
    users,
    items,
    eventTypes,
    interactions,
    userAttributes: [
      singleValueColumn('GENDER', GENDERS, gender),
      singleValueColumn('AGE_GROUP', AGE_GROUPS, age),
      singleValueColumn('REGION', REGIONS, region),
    ],
    itemAttributes: [
      singleValueColumn('CATEGORY', model.categoryNames, model.itemCategory),
      singleValueColumn('PRICE_BAND', PRICE_BANDS, model.itemBand),
    ],
    itemCreated: model.itemCreated.slice(),
    stats: {
      interactions: { file: 'interactions.csv', rows: n, skipped: 0, errors: [] },
      users: { file: 'users.csv', rows: o.users, skipped: 0, errors: [] },
      items: { file: 'items.csv', rows: o.items, skipped: 0, errors: [] },
    },
  };
  return { options: o, dataset, itemCluster: model.itemCluster };
}

const CHUNK = 1 << 20;
/** Longer than any row the generator writes, so a row never needs a bounds check mid-way. */
const ROW_SLACK = 4096;

/**
 * Encodes rows straight into 1 MiB byte chunks (ids are ASCII, so bytes are chars) and writes them,
 * awaiting 'drain': memory stays flat at any size, and no per-row string is built for interactions.
 * Appends are synchronous; full chunks queue up until the next {@link ByteCsvWriter.flush}.
 */
class ByteCsvWriter {
  buf = Buffer.allocUnsafe(CHUNK + ROW_SLACK);
  pos = 0;
  private readonly full: Buffer[] = [];
  private readonly stream: WriteStream;
  constructor(path: string) {
    this.stream = createWriteStream(path);
  }
  /** Appends an ASCII string (one row at most). */
  text(s: string): void {
    this.pos += this.buf.write(s, this.pos, 'latin1');
    this.endRow();
  }
  /** Call after each row written through `buf`/`pos` directly. */
  endRow(): void {
    if (this.pos >= CHUNK) {
      this.full.push(this.buf.subarray(0, this.pos));
      this.buf = Buffer.allocUnsafe(CHUNK + ROW_SLACK);
      this.pos = 0;
    }
  }
  /** Writes the queued full chunks, waiting for the disk when the stream is saturated. */
  async flush(): Promise<void> {
    for (const chunk of this.full) if (!this.stream.write(chunk)) await once(this.stream, 'drain');
    this.full.length = 0;
  }
  async close(): Promise<void> {
    await this.flush();
    this.stream.end(this.buf.subarray(0, this.pos));
    await finished(this.stream);
  }
}

/** Concatenated ASCII bytes of `texts` with offsets (text i is bytes[ptr[i] .. ptr[i+1])). */
function packAscii(texts: readonly string[]): { bytes: Buffer; ptr: Int32Array } {
  const ptr = new Int32Array(texts.length + 1);
  for (let i = 0; i < texts.length; i++) ptr[i + 1] = ptr[i] + texts[i].length;
  return { bytes: Buffer.from(texts.join(''), 'latin1'), ptr };
}

/**
 * Generates a shop and streams it to `outDir` (created if missing) as interactions.csv, users.csv and
 * items.csv with headers. Ids and values are generator-controlled and contain no comma or quote, so
 * rows are written unquoted. Deterministic: same options, same bytes.
 * @returns the number of rows written per file.
 */
export async function writeShop(options: GenerateOptions, outDir: string): Promise<ShopCounts> {
  const model = new ShopModel(options);
  const o = model.options;
  await mkdir(outDir, { recursive: true });

  const itemsOut = new ByteCsvWriter(join(outDir, 'items.csv'));
  itemsOut.text(ITEM_HEADER + '\n');
  for (let i = 0; i < o.items; i++) {
    itemsOut.text(
      `${model.itemIds[i]},${model.categoryNames[model.itemCategory[i]]},${PRICE_BANDS[model.itemBand[i]]},${model.itemCreated[i]}\n`,
    );
    if (itemsOut.pos === 0) await itemsOut.flush();
  }
  const itemsDone = itemsOut.close();

  const usersOut = new ByteCsvWriter(join(outDir, 'users.csv'));
  const eventsOut = new ByteCsvWriter(join(outDir, 'interactions.csv'));
  usersOut.text(USER_HEADER + '\n');
  eventsOut.text(INTERACTION_HEADER + '\n');
  const ids = packAscii(model.itemIds);
  const prices = packAscii(Array.from(model.itemPrice, (p) => String(p)));
  const types = packAscii(EVENT_TYPES.map((e) => `,${e},`));
  const uid = Buffer.alloc(32);
  let uidLength = 0;
  const digits = new Uint8Array(24);
  let n = 0;
  const copy = (buf: Buffer, pos: number, src: Buffer, from: number, to: number): number => {
    for (let k = from; k < to; k++) buf[pos++] = src[k];
    return pos;
  };
  const sink: ShopSink = {
    user(u, g, a, r) {
      const id = model.userIds(u);
      uidLength = uid.write(id, 0, 'latin1');
      usersOut.text(`${id},${GENDERS[g]},${AGE_GROUPS[a]},${REGIONS[r]}\n`);
    },
    event(_u, it, t, type) {
      const buf = eventsOut.buf;
      let pos = copy(buf, eventsOut.pos, uid, 0, uidLength);
      buf[pos++] = 0x2c; // ','
      pos = copy(buf, pos, ids.bytes, ids.ptr[it], ids.ptr[it + 1]);
      buf[pos++] = 0x2c;
      let d = 0;
      let x = t;
      do {
        digits[d++] = 0x30 + (x % 10);
        x = Math.floor(x / 10);
      } while (x > 0);
      while (d > 0) buf[pos++] = digits[--d];
      pos = copy(buf, pos, types.bytes, types.ptr[type], types.ptr[type + 1]);
      if (type === PURCHASE) pos = copy(buf, pos, prices.bytes, prices.ptr[it], prices.ptr[it + 1]);
      buf[pos++] = 0x0a; // '\n'
      eventsOut.pos = pos;
      eventsOut.endRow();
      n++;
    },
  };
  for (let u = 0; u < o.users; u++) {
    model.simulateUser(u, sink);
    await eventsOut.flush();
    await usersOut.flush();
  }
  await Promise.all([itemsDone, usersOut.close(), eventsOut.close()]);
  return { users: o.users, items: o.items, interactions: n };
}
