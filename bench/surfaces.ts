/**
 * Shop surfaces benchmark (issue 16). Prints, and writes bench/results/surfaces.md:
 *  1. `similar` on MovieLens 100K: per user, the last-rated item is held out and the one rated before it is
 *     the query; hit rate @10 (and MRR) of the held-out item in the route's answer (the real serveList over
 *     in-memory stores filled by the nightly code) vs the CF neighbours alone, the session co-view lists
 *     alone, attribute (genre) neighbours alone and global popularity;
 *  2. `bought-together` on the Taobao sample: trained on every event before the last two days, queried with
 *     each item of a test-period basket (cart/purchase events under the basket rule), hit if another item
 *     of that basket is in the top 10; vs CF neighbours, the basket lists alone and popularity;
 *  3. in-process latency of every route's use case (p50/p99 over 5,000 warm calls, with JSON.stringify),
 *     50k-item catalogue, 10k NG items, 25 items per answer.
 * No tuning: defaults everywhere (no split is used to pick anything).
 * Usage: npx tsx bench/surfaces.ts [--latency]  (--latency: only table 3, printed, nothing written)
 */
import '../shared/polyfills.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { MemoryFilterStore } from '../shared/adapters/memory/filter-store.js';
import { MemoryItemCatalogStore } from '../shared/adapters/memory/item-catalog-store.js';
import { MemoryNgItemStore } from '../shared/adapters/memory/ng-item-store.js';
import { MemoryPipelineStateStore } from '../shared/adapters/memory/pipeline-state-store.js';
import { MemoryPopularityStore } from '../shared/adapters/memory/popularity-store.js';
import { MemoryRecommendationStore } from '../shared/adapters/memory/recommendation-store.js';
import { MemoryUserProfileStore } from '../shared/adapters/memory/user-profile-store.js';
import { trainItemCf } from '../shared/domain/algorithms/item-cf.js';
import { trainSession } from '../shared/domain/algorithms/session.js';
import { DatasetBuilder } from '../shared/domain/data/builder.js';
import type { Dataset } from '../shared/domain/data/dataset.js';
import { importMovieLens, importTaobao } from '../shared/domain/data/importers.js';
import type { ItemCatalogPage } from '../shared/domain/filters/item-catalog.js';
import { parseFilterUse } from '../shared/domain/filters/request.js';
import { loadDataset } from '../shared/domain/data/loader.js';
import { computePopularityLists } from '../shared/domain/popularity/popularity.js';
import { parseRecommendationRequest } from '../shared/domain/recommend/request.js';
import { neighbourListsOf } from '../shared/domain/recommend/session-scoring.js';
import { baskets } from '../shared/domain/surfaces/item-surfaces.js';
import { publishSurfaceLists } from '../shared/pipeline/surfaces.js';
import type { CandidateSource } from '../shared/ports/candidates.js';
import type { ScoredItem } from '../shared/ports/types.js';
import { NgList, PrecomputedSource, VersionPointers } from '../shared/use-cases/candidate-sources.js';
import { FilterRegistry, ItemCatalogs } from '../shared/use-cases/filters.js';
import { POPULARITY, PopularitySource, popularityMetaKey } from '../shared/use-cases/popularity-source.js';
import { publishItemCatalog } from '../shared/use-cases/publish-popularity.js';
import { recommend } from '../shared/use-cases/recommend.js';
import {
  BlendedItemSource,
  boughtTogether,
  ITEM_LISTS,
  ItemAttributes,
  personalizedRanking,
  ranking,
  type SurfaceDeps,
  SIMILAR_ITEMS,
  similarItems,
  StoredItemLists,
} from '../shared/use-cases/surfaces.js';
import { singleArm } from '../tests/helpers/request-path.js';

const DATA = join(import.meta.dirname, '../../shared/data');
const V = 'v1';
const K = 10;
const out: string[] = [];
const say = (line = '') => {
  console.log(line);
  out.push(line);
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** A copy of `d` keeping the rows `keep` accepts, with every item and its attributes. */
function subset(d: Dataset, keep: (row: number) => boolean): Dataset {
  const b = new DatasetBuilder();
  for (let i = 0; i < d.items.size; i++) {
    const attrs: Record<string, string> = {};
    for (const col of d.itemAttributes) {
      if (i + 1 >= col.offsets.length || col.offsets[i] === col.offsets[i + 1]) continue;
      const vals: string[] = [];
      for (let p = col.offsets[i]; p < col.offsets[i + 1]; p++) vals.push(col.dict.ids[col.values[p]]);
      Object.defineProperty(attrs, col.name, { value: vals.join('|'), enumerable: true });
    }
    b.addItem(d.items.ids[i], attrs);
  }
  const { user, item, timestamp, eventType, length } = d.interactions;
  for (let r = 0; r < length; r++)
    if (keep(r))
      b.addInteraction(
        d.users.ids[user[r]],
        d.items.ids[item[r]],
        timestamp[r],
        d.eventTypes.ids[eventType[r]],
      );
  return b.build();
}

/** Trains on `train` exactly as the nightly run does and publishes every list into in-memory stores. */
/** The CF neighbour lists of the last published dataset (the blend's first part), measured alone. */
let cfOnly: StoredItemLists;

async function publish(train: Dataset): Promise<SurfaceDeps> {
  const state = new MemoryPipelineStateStore();
  const recommendations = new MemoryRecommendationStore();
  const popularityStore = new MemoryPopularityStore();
  const itemCatalog = new MemoryItemCatalogStore();
  const lists = computePopularityLists(train);
  await popularityStore.putSegmentLists(V, lists);
  await publishSurfaceLists({ recommendations, popularityStore }, train, V, lists);
  const itemCatalogPages = await publishItemCatalog(itemCatalog, V, train);
  const cf = trainItemCf(train);
  await recommendations.putUserLists(ITEM_LISTS.cf, V, neighbourListsOf(cf.lists, train.items.ids, 50));
  const session = trainSession(train);
  await recommendations.putUserLists(
    ITEM_LISTS.session,
    V,
    neighbourListsOf(session.lists, train.items.ids, 50),
  );
  await state.putRecord(popularityMetaKey(V), {
    segmentColumns: [],
    lists: lists.length,
    createdAt: 0,
    itemCatalogPages,
  });
  for (const a of [POPULARITY, 'cf', 'session']) await state.setActiveVersion(a, V, undefined);
  const pointers = new VersionPointers(state, 3_600_000);
  const list = (label: string, name: string, pointer: string) =>
    new StoredItemLists(label, name, pointer, pointers, recommendations, 200_000);
  const none: CandidateSource = { source: 'cf', candidates: async () => [] };
  cfOnly = list('cf-items', ITEM_LISTS.cf, 'cf');
  const popularity = new PopularitySource(state, popularityStore, 3_600_000);
  return {
    experiments: singleArm('cf'),
    popularity,
    ngList: new NgList(new MemoryNgItemStore(), 3_600_000),
    similar: {
      default: new BlendedItemSource(SIMILAR_ITEMS, [
        cfOnly,
        list('session-items', ITEM_LISTS.session, 'session'),
      ]),
    },
    coView: list('session-items', ITEM_LISTS.session, 'session'),
    attributeNeighbours: list('attribute-items', ITEM_LISTS.attributes, POPULARITY),
    boughtTogether: list('bought-together', ITEM_LISTS.boughtTogether, POPULARITY),
    itemAttributes: new ItemAttributes(popularity, new ItemCatalogs(itemCatalog)),
    sources: { cf: none },
    profiles: new MemoryUserProfileStore(),
  };
}

type Ranker = (itemId: string) => Promise<readonly ScoredItem[]>;

async function score(
  cases: { query: string; targets: ReadonlySet<string> }[],
  rankers: [string, Ranker][],
): Promise<string[][]> {
  const rows: string[][] = [];
  for (const [name, rank] of rankers) {
    let hits = 0;
    let rr = 0;
    for (const c of cases) {
      const top = (await rank(c.query)).filter((x) => x.itemId !== c.query).slice(0, K);
      const at = top.findIndex((x) => c.targets.has(x.itemId));
      if (at >= 0) {
        hits++;
        rr += 1 / (at + 1);
      }
    }
    rows.push([name, (hits / cases.length).toFixed(4), (rr / cases.length).toFixed(4)]);
  }
  return rows;
}

function table(header: string[], rows: string[][]): void {
  say(`| ${header.join(' | ')} |`);
  say(`|${header.map((_, k) => (k === 0 ? '---' : '---:')).join('|')}|`);
  for (const r of rows) say(`| ${r.join(' | ')} |`);
}

const onlyList =
  (source: { candidates(itemId: string, n: number): Promise<ScoredItem[]> }): Ranker =>
  (itemId) =>
    source.candidates(itemId, K + 1);

async function movieLens(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'osusume-ml-'));
  let full: Dataset;
  try {
    await importMovieLens(join(DATA, 'ml-100k'), dir);
    full = await loadDataset(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // per user: rows by time; hold out the last, query with the one before
  const { user, timestamp, length } = full.interactions;
  const byUser = Array.from({ length: full.users.size }, () => [] as number[]);
  for (let r = 0; r < length; r++) byUser[user[r]].push(r);
  const heldOut = new Uint8Array(length);
  const cases: { query: string; targets: Set<string> }[] = [];
  for (const rows of byUser) {
    if (rows.length < 3) continue;
    rows.sort((a, b) => timestamp[a] - timestamp[b] || a - b);
    const last = rows[rows.length - 1];
    const query = rows[rows.length - 2];
    heldOut[last] = 1;
    const q = full.items.ids[full.interactions.item[query]];
    const t = full.items.ids[full.interactions.item[last]];
    if (q !== t) cases.push({ query: q, targets: new Set([t]) });
  }
  const train = subset(full, (r) => heldOut[r] === 0);
  const deps = await publish(train);
  const globalTop = (await deps.popularity.segmentLists(V, ['global'])).lists.get('global') ?? [];
  const rows = await score(cases, [
    [
      'similar route (CF + co-view blend → co-view → attributes → category → global)',
      async (id) =>
        (await similarItems(deps, { itemId: id, numResults: K, exclude: [], metadata: [] })).response
          .itemList,
    ],
    ['CF neighbours alone (cf-items)', onlyList(cfOnly)],
    ['session co-view alone (session-items)', onlyList(deps.coView)],
    ['attribute (genre) neighbours alone', onlyList(deps.attributeNeighbours)],
    ['global popularity', async () => globalTop.slice(0, K + 1)],
  ]);
  say(
    `\n## similar on MovieLens 100K (${cases.length} users: query = second-to-last rated item, target = last)`,
  );
  say();
  table(['list', `hit rate @${K}`, `MRR @${K}`], rows);
}

async function taobao(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'osusume-tb-'));
  let full: Dataset;
  try {
    await importTaobao(join(DATA, 'taobao-userbehavior-head', 'UserBehavior_head.csv'), dir);
    full = await loadDataset(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const ts = full.interactions.timestamp;
  let max = 0;
  for (let r = 0; r < full.interactions.length; r++) if (ts[r] > max) max = ts[r];
  const cut = max - 2 * 86_400;
  const train = subset(full, (r) => ts[r] <= cut);
  const test = subset(full, (r) => ts[r] > cut);
  const b = baskets(test);
  const cases: { query: string; targets: Set<string> }[] = [];
  for (let k = 0; k + 1 < b.ptr.length; k++) {
    const ids = [...b.items.subarray(b.ptr[k], b.ptr[k + 1])].map((i) => test.items.ids[i]);
    if (ids.length < 2) continue;
    for (const q of ids) {
      if (train.items.get(q) < 0) continue;
      cases.push({ query: q, targets: new Set(ids.filter((x) => x !== q)) });
    }
  }
  const deps = await publish(train);
  const globalTop = (await deps.popularity.segmentLists(V, ['global'])).lists.get('global') ?? [];
  const rows = await score(cases, [
    [
      'bought-together route (baskets → similar chain → category → global)',
      async (id) =>
        (await boughtTogether(deps, { itemId: id, numResults: K, exclude: [], metadata: [] })).response
          .itemList,
    ],
    [
      'similar route',
      async (id) =>
        (await similarItems(deps, { itemId: id, numResults: K, exclude: [], metadata: [] })).response
          .itemList,
    ],
    ['basket lists alone (bought-together)', onlyList(deps.boughtTogether)],
    ['CF neighbours alone (cf-items)', onlyList(cfOnly)],
    ['global popularity', async () => globalTop.slice(0, K + 1)],
  ]);
  say(
    `\n## bought-together on the Taobao sample (trained before the last 2 days; ${cases.length} queries from ${b.ptr.length - 1} test baskets)`,
  );
  say();
  table(['list', `hit rate @${K}`, `MRR @${K}`], rows);
}

async function latency(): Promise<void> {
  const state = new MemoryPipelineStateStore();
  const recommendations = new MemoryRecommendationStore();
  const popularityStore = new MemoryPopularityStore();
  const ngStore = new MemoryNgItemStore();
  const catalogue = Array.from({ length: 50_000 }, (_, i) => `item-${i}`);
  const scored = (ids: string[]) => ids.map((itemId, k) => ({ itemId, score: 1 - k / (ids.length + 1) }));
  // every 5th item is NG (10k): each list loses a fifth and the chain runs on
  for (let i = 0; i < 10_000; i++) await ngStore.put({ itemId: catalogue[i * 5], createdAt: 0 });
  const neighbours = (i: number) =>
    scored(Array.from({ length: 20 }, (_, k) => catalogue[(i + 1 + k * 7) % 50_000]));
  const itemLists = (offset: number) =>
    catalogue.slice(0, 1000).map((id, i) => ({ userId: id, items: neighbours(i + offset) }));
  for (const [name, off] of [
    [ITEM_LISTS.cf, 0],
    [ITEM_LISTS.session, 3],
    [ITEM_LISTS.attributes, 11],
    [ITEM_LISTS.boughtTogether, 17],
  ] as const)
    await recommendations.putUserLists(name, V, itemLists(off));
  await recommendations.putUserLists('cf', V, [{ userId: 'u1', items: scored(catalogue.slice(0, 300)) }]);
  const cats = ['toys', 'books', 'music', 'games'];
  await popularityStore.putSegmentLists(V, [
    { segment: 'global', items: scored(catalogue.slice(0, 5000)) },
    ...cats.map((c, k) => ({
      segment: `i:CATEGORY=${c}`,
      items: scored(catalogue.filter((_, i) => i % 4 === k).slice(0, 500)),
    })),
    ...['best-sellers', 'most-viewed', 'trending'].map((kind) => ({
      segment: `rank:${kind}:global`,
      items: scored(catalogue.slice(100, 600)),
    })),
  ]);
  // a 10,000-item filter: five shelves over the catalogue (s0 holds the NG items, s1 is filtered on);
  // the first 2000 items have a category (the category fallbacks read it)
  const itemCatalog = new MemoryItemCatalogStore();
  const pages: ItemCatalogPage[] = [];
  for (let p = 0; p < catalogue.length; p += 5000) {
    const page = catalogue.slice(p, p + 5000);
    pages.push({
      ids: page,
      columns: [
        ['SHELF', page.map((_, k) => `s${(p + k) % 5}`)],
        ['CATEGORY', page.map((_, k) => (p + k < 2000 ? cats[(p + k) % 4] : ''))],
      ],
    });
  }
  await itemCatalog.putCatalog(V, pages);
  const filterStore = new MemoryFilterStore();
  await filterStore.put({
    name: 'shelf',
    expression: 'INCLUDE ItemID WHERE Items.SHELF IN ($SHELF)',
    updatedAt: 1,
  });
  await state.putRecord(popularityMetaKey(V), {
    segmentColumns: [],
    lists: 8,
    createdAt: 0,
    itemCatalogPages: pages.length,
  });
  for (const a of [POPULARITY, 'cf', 'session']) await state.setActiveVersion(a, V, undefined);
  const pointers = new VersionPointers(state, 3_600_000);
  const list = (label: string, name: string, pointer: string) =>
    new StoredItemLists(label, name, pointer, pointers, recommendations);
  // the user lists through the cached source composition.ts serves them with
  const cfUser = new PrecomputedSource('cf', 'cf', pointers, recommendations);
  const popularity = new PopularitySource(state, popularityStore, 3_600_000);
  const catalogs = new ItemCatalogs(itemCatalog);
  const deps: SurfaceDeps = {
    experiments: singleArm('cf'),
    popularity,
    ngList: new NgList(ngStore, 3_600_000),
    similar: {
      default: new BlendedItemSource(SIMILAR_ITEMS, [
        list('cf-items', ITEM_LISTS.cf, 'cf'),
        list('session-items', ITEM_LISTS.session, 'session'),
      ]),
    },
    coView: list('session-items', ITEM_LISTS.session, 'session'),
    attributeNeighbours: list('attribute-items', ITEM_LISTS.attributes, POPULARITY),
    boughtTogether: list('bought-together', ITEM_LISTS.boughtTogether, POPULARITY),
    itemAttributes: new ItemAttributes(popularity, catalogs),
    sources: { cf: cfUser },
    profiles: new MemoryUserProfileStore(),
    filters: new FilterRegistry(filterStore, 3_600_000),
    catalogs,
  };
  const shelf = parseFilterUse('shelf', '{"SHELF":"\\"s1\\""}');
  const inputList = catalogue.slice(0, 100);
  const routes: [string, (k: number) => Promise<unknown>][] = [];
  for (const [suffix, filter] of [
    ['', undefined],
    [' + filter (10,000 items)', shelf],
  ] as const) {
    const req = { numResults: 25, exclude: [], metadata: ['CATEGORY'], filter };
    const userReq = {
      ...parseRecommendationRequest('u1', { numResults: '25', metadata: 'CATEGORY' }, 25, {
        items: ['CATEGORY'],
      }),
      filter,
    };
    const of = (
      name: string,
      call: (k: number) => Promise<unknown>,
    ): [string, (k: number) => Promise<unknown>] => [`${name}${suffix}`, call];
    routes.push(
      of('GET /items/{itemId}/similar', (k) => similarItems(deps, { ...req, itemId: catalogue[k % 1000] })),
      of('GET /items/{itemId}/bought-together', (k) =>
        boughtTogether(deps, { ...req, itemId: catalogue[k % 1000] }),
      ),
      of('GET /rankings/trending', () => ranking(deps, { ...req, kind: 'trending' })),
      of('GET /rankings/best-sellers?category=toys', () =>
        ranking(deps, { ...req, kind: 'best-sellers', attribute: { column: 'CATEGORY', value: 'toys' } }),
      ),
      of('POST /users/{userId}/ranking (100 inputs)', () =>
        personalizedRanking(deps, { userId: 'u1', inputList, metadata: ['CATEGORY'], filter }),
      ),
      of('GET /users/{userId}/recommendations (reference)', () => recommend(deps, userReq)),
    );
  }
  say(
    '\n## In-process latency per route (50k catalogue, 10k NG items, 25 items with metadata=CATEGORY, without and with a 10,000-item filter; warm caches)',
  );
  say();
  say(
    `Routes interleaved call by call (one call of each, then the next round), so the machine's load (load average ${loadavg()[0].toFixed(0)} on 2 cores at the start) hits every route alike.`,
  );
  say();
  // `--only=<text>`: just the routes whose name contains it (to profile one route alone)
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (only !== undefined) routes.splice(0, routes.length, ...routes.filter(([name]) => name.includes(only)));
  const times = routes.map(() => [] as number[]);
  // CPU time of the thread (µs resolution) besides the wall clock: on a loaded machine the wall-clock tail
  // is mostly waiting for a core, the CPU tail is the route's own (GC pauses included)
  const cpu = routes.map(() => [] as number[]);
  // collection pauses, to tell which slow calls a GC ran in
  const gcs: { start: number; end: number }[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const calls = routes.map(() => [] as { start: number; end: number }[]);
  for (let k = 0; k < 8000; k++) {
    for (let r = 0; r < routes.length; r++) {
      const c0 = process.cpuUsage();
      const t = performance.now();
      JSON.stringify(((await routes[r][1](k)) as { response: unknown }).response);
      if (k < 3000) continue;
      const end = performance.now();
      times[r].push(end - t);
      calls[r].push({ start: t, end });
      const used = process.cpuUsage(c0);
      cpu[r].push((used.user + used.system) / 1000);
    }
  }
  await new Promise((r) => setTimeout(r, 10));
  gcObserver.disconnect();
  /** Of a route's calls slower than its p99... how many a GC pause overlapped. */
  const slowWithGc = (r: number): string => {
    const p99 = pct(times[r], 99);
    let slow = 0;
    let withGc = 0;
    for (const c of calls[r]) {
      if (c.end - c.start < p99) continue;
      slow++;
      if (gcs.some((g) => g.start < c.end && g.end > c.start)) withGc++;
    }
    return `${withGc} of ${slow}`;
  };
  table(
    ['route', 'p50 ms', 'p90 ms', 'p99 ms', 'CPU p99 ms', 'calls ≥ p99 with a GC in them', 'p99 ≤ 1 ms'],
    routes.map(([name], r) => [
      name,
      pct(times[r], 50).toFixed(3),
      pct(times[r], 90).toFixed(3),
      pct(times[r], 99).toFixed(3),
      pct(cpu[r], 99).toFixed(3),
      slowWithGc(r),
      pct(times[r], 99) <= 1 ? 'yes' : 'NO',
    ]),
  );
  say();
  say(
    `load average at the end: ${loadavg()[0].toFixed(1)}; ${gcs.length} collections during the measured calls`,
  );
}

const started = Date.now();
say('# Shop surfaces: accuracy and latency (bench/surfaces.ts)');
say();
say(
  `Measured ${new Date().toISOString().slice(0, 10)} on the shared 2-core machine, one run (\`npx tsx bench/surfaces.ts\`).`,
);
// `--latency`: only the in-process latency table (the accuracy tables take most of the run)
const latencyOnly = process.argv.includes('--latency');
if (!latencyOnly) {
  await movieLens();
  await taobao();
}
await latency();
say(`\n(total ${((Date.now() - started) / 1000).toFixed(0)} s)`);
if (!latencyOnly) {
  await writeFile(join(import.meta.dirname, 'results/surfaces.md'), `${out.join('\n')}\n`);
  console.log('written to bench/results/surfaces.md (format it with npx biome format --write)');
}
