import { LruCache } from '../domain/cache.js';
import { withDeadline } from '../domain/deadline.js';
import { ValidationError } from '../domain/errors.js';
import type { ItemCatalog, ItemCatalogColumn } from '../domain/filters/item-catalog.js';
import { ownValue, setOwn } from '../domain/own-property.js';
import { GLOBAL_SEGMENT, itemSegmentKey, segmentValue } from '../domain/popularity/segments.js';
import type {
  ItemListRequest,
  KnownColumns,
  RankingRequest,
  UserRankingRequest,
} from '../domain/recommend/surface-request.js';
import { RANKING_KINDS, type RankingKind, rankingSegment } from '../domain/surfaces/item-surfaces.js';
import type {
  CandidateContext,
  CandidateSource,
  ItemCandidateSource,
  PersonalizeItemRanker,
  PersonalizeSimilarItems,
} from '../ports/candidates.js';
import type { RecommendationStore, UserProfileStore } from '../ports/stores.js';
import type { ScoredItem, UserAttributes } from '../ports/types.js';
import type { VersionPointers } from './candidate-sources.js';
import type { DatasetColumnsSource } from './catalog.js';
import type { ItemCatalogs } from './filters.js';
import type { PopularitySource } from './popularity-source.js';
import {
  type CandidateList,
  type ChainLink,
  type PlanContext,
  type ServeDeps,
  type ServedItem,
  type ItemMetadataSource,
  type ServedList,
  serveList,
  userChain,
} from './recommend.js';

/** Algorithm names of the per-item lists in the recommendations table (`rec#{name}#{version}#{itemId}`). */
export const ITEM_LISTS = {
  cf: 'cf-items',
  session: 'session-items',
  boughtTogether: 'bought-together',
  attributes: 'attribute-items',
} as const;

/** The `source` of osusume's similar items (CF neighbours and session co-view blended). */
export const SIMILAR_ITEMS = 'similar-items';

/**
 * Per-item lists the nightly run published (`rec#{list}#{version}#{itemId}`), read through the pointer of
 * the algorithm that wrote them. A published version never changes: cached without expiry, bounded.
 */
export class StoredItemLists implements ItemCandidateSource {
  private readonly cache: LruCache<string, ScoredItem[]>;
  constructor(
    readonly source: string,
    private readonly list: string,
    private readonly pointer: string,
    private readonly pointers: VersionPointers,
    private readonly store: RecommendationStore,
    cacheEntries = 20_000,
  ) {
    this.cache = new LruCache(cacheEntries);
  }
  async candidates(itemId: string, n: number): Promise<ScoredItem[]> {
    const version = await this.pointers.active(this.pointer);
    if (version === undefined) return [];
    const list = await this.cache.getOrLoad(
      `${version}#${itemId}`,
      async () => (await this.store.getUserList(this.list, version, itemId)) ?? [],
    );
    return list.slice(0, n);
  }
}

/**
 * Several item sources blended: each list's scores scaled by its best, summed per item, best first. CF
 * neighbours and session co-view disagree on which is better from shop to shop (bench/results/surfaces.md);
 * their sum is close to the better of the two on each data set measured, without a per-shop choice.
 */
export class BlendedItemSource implements ItemCandidateSource {
  constructor(
    readonly source: string,
    private readonly parts: readonly ItemCandidateSource[],
    private readonly depth = 50,
  ) {}
  async candidates(
    itemId: string,
    n: number,
    userId?: string,
    context?: CandidateContext,
  ): Promise<ScoredItem[]> {
    const lists = await Promise.all(
      this.parts.map((p) => p.candidates(itemId, Math.max(n, this.depth), userId, context)),
    );
    const sum = new Map<string, number>();
    for (const list of lists) {
      const top = list.length > 0 && list[0].score > 0 ? list[0].score : 1;
      for (const { itemId: id, score } of list) sum.set(id, (sum.get(id) ?? 0) + score / top);
    }
    return [...sum]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([id, score]) => ({ itemId: id, score }));
  }
}

/** Another item source under a label of its own (the personalize arm with Personalize off or stood in). */
export class RelabelledItemSource implements ItemCandidateSource {
  constructor(
    readonly source: string,
    private readonly inner: ItemCandidateSource,
  ) {}
  candidates(itemId: string, n: number, userId?: string, context?: CandidateContext): Promise<ScoredItem[]> {
    return this.inner.candidates(itemId, n, userId, context);
  }
}

/** A Similar-Items / SIMS campaign as an item source. */
export class PersonalizeSimilarSource implements ItemCandidateSource {
  readonly source = 'personalize';
  constructor(private readonly personalize: PersonalizeSimilarItems) {}
  candidates(itemId: string, n: number, userId?: string, context?: CandidateContext): Promise<ScoredItem[]> {
    // the request's osusume filter as its mapped Personalize filter, as the user route passes it
    const filter = context?.personalizeFilter;
    return this.personalize.similarItems(
      filter
        ? { itemId, userId, numResults: n, filterArn: filter.filterArn, filterValues: filter.filterValues }
        : { itemId, userId, numResults: n },
    );
  }
}

/**
 * Item attributes of the active popularity version, answered from its item catalogue (the pages filters
 * read too): one catalogue load per version per process, then in-memory lookups.
 */
export class ItemAttributes implements ItemMetadataSource {
  constructor(
    private readonly popularity: Pick<PopularitySource, 'active'>,
    private readonly catalogs: Pick<ItemCatalogs, 'catalog'>,
  ) {}
  /** The attributes of the given items (absent: unknown item, no attribute values or none published). */
  async of(itemIds: readonly string[]): Promise<Map<string, Readonly<Record<string, string>>>> {
    const out = new Map<string, Readonly<Record<string, string>>>();
    if (itemIds.length === 0) return out;
    const active = await this.popularity.active();
    if (!active) return out;
    const catalog = await this.catalogs.catalog(active.version, active.meta.itemCatalogPages);
    for (const id of itemIds) {
      const i = catalog.index.get(id);
      if (i === undefined) continue;
      const attributes = attributesAt(catalog, i);
      if (attributes) out.set(id, attributes);
    }
    return out;
  }

  async columnsOf(
    itemIds: readonly string[],
    columns: readonly string[],
  ): Promise<readonly Readonly<Record<string, string>>[]> {
    const out: Readonly<Record<string, string>>[] = new Array(itemIds.length).fill(NO_METADATA);
    if (itemIds.length === 0) return out;
    const active = await this.popularity.active();
    if (!active) return out;
    const catalog = await this.catalogs.catalog(active.version, active.meta.itemCatalogPages);
    // a published catalogue never changes: each item's metadata object is built once per column list
    const built = metadataTable(catalog, columns);
    for (let k = 0; k < itemIds.length; k++) {
      const i = catalog.index.get(itemIds[k]);
      if (i === undefined) continue;
      let m = built.objects[i];
      if (m === undefined) {
        m = metadataAt(built.columns, columns, i);
        built.objects[i] = m;
      }
      out[k] = m;
    }
    return out;
  }
}

/** What an unknown item (or one without the asked-for columns) answers as `metadata`. */
const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Column lists cached per catalogue (each an array the catalogue's length); past it the eldest is dropped,
 * since clients choose the lists. Shops ask for one or two.
 */
const METADATA_TABLES_PER_CATALOG = 4;

interface MetadataTable {
  /** Per asked-for column, the catalogue's column of that name (undefined: no such column). */
  readonly columns: readonly (ItemCatalogColumn | undefined)[];
  /** Per catalogue index, the item's frozen metadata object once built. */
  readonly objects: (Readonly<Record<string, string>> | undefined)[];
}

const metadataTables = new WeakMap<ItemCatalog, Map<string, MetadataTable>>();

function metadataTable(catalog: ItemCatalog, columns: readonly string[]): MetadataTable {
  let tables = metadataTables.get(catalog);
  if (!tables) {
    tables = new Map();
    metadataTables.set(catalog, tables);
  }
  // a comma never occurs in a validated column name
  const key = columns.join(',');
  let table = tables.get(key);
  if (!table) {
    const byName = new Map<string, ItemCatalogColumn>();
    for (const col of catalog.columns.values()) byName.set(col.name, col);
    table = { columns: columns.map((c) => byName.get(c)), objects: new Array(catalog.ids.length) };
    if (tables.size >= METADATA_TABLES_PER_CATALOG) tables.delete(tables.keys().next().value as string);
    tables.set(key, table);
  }
  return table;
}

/** Item `i`'s values of the asked-for columns (several joined with `|`), frozen; the shared `{}` with none. */
function metadataAt(
  cols: readonly (ItemCatalogColumn | undefined)[],
  names: readonly string[],
  i: number,
): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined;
  for (let c = 0; c < cols.length; c++) {
    const col = cols[c];
    if (col === undefined) continue;
    const from = col.offsets[i];
    const to = col.offsets[i + 1];
    if (from === to) continue;
    let value = col.dict[col.values[from]];
    for (let p = from + 1; p < to; p++) value += `|${col.dict[col.values[p]]}`;
    out ??= {};
    setOwn(out, names[c], value);
  }
  return out ? Object.freeze(out) : NO_METADATA;
}

/** Item `i`'s values per column (several joined with `|`, as items.csv has them), or undefined with none. */
function attributesAt(catalog: ItemCatalog, i: number): Record<string, string> | undefined {
  let attributes: Record<string, string> | undefined;
  for (const col of catalog.columns.values()) {
    const from = col.offsets[i];
    const to = col.offsets[i + 1];
    if (from === to) continue;
    const parts: string[] = [];
    for (let p = from; p < to; p++) parts.push(col.dict[col.values[p]]);
    attributes ??= {};
    setOwn(attributes, col.name, parts.join('|'));
  }
  return attributes;
}

/** The known dataset columns, or none (the pattern rule) when the state table fails or is slow. */
export async function knownColumns(
  columns: Pick<DatasetColumnsSource, 'columns'>,
  deadlineMs: number,
): Promise<KnownColumns> {
  try {
    const [users, items] = await withDeadline(
      Promise.all([columns.columns('users'), columns.columns('items')]),
      deadlineMs,
      'state',
    );
    return { users, items };
  } catch {
    return {};
  }
}

/** What the item surfaces and the personalized ranking read besides the shared pipeline's needs. */
export interface SurfaceDeps extends ServeDeps {
  /** The arm's similar-items source per arm algorithm (`default` for arms without one of their own). */
  readonly similar: Readonly<Record<string, ItemCandidateSource>>;
  readonly coView: ItemCandidateSource;
  readonly attributeNeighbours: ItemCandidateSource;
  readonly boughtTogether: ItemCandidateSource;
  readonly itemAttributes: ItemMetadataSource;
  /** User-list sources per arm algorithm (the personalized ranking's non-Personalize arms). */
  readonly sources: Readonly<Record<string, CandidateSource>>;
  readonly profiles: UserProfileStore;
  /** GetPersonalizedRanking for the personalize arm, when a ranking campaign is configured. */
  readonly ranker?: PersonalizeItemRanker;
}

/** The answer of GET /items/{itemId}/similar and /bought-together. */
export interface ItemSurfaceResponse {
  readonly recommendationId: string;
  readonly itemId: string;
  readonly userId?: string;
  readonly slot: string;
  readonly experiment: string;
  readonly arm: string;
  readonly itemList: ServedItem[];
  readonly degraded: boolean;
}

/**
 * The popularity of an item's attribute values (`popularity:category`), then global. The item's attributes
 * are read only when the candidates leave the list short (most answers never need them).
 */
function itemChain(deps: SurfaceDeps, ctx: PlanContext, itemId: string): () => Promise<ChainLink[]> {
  return () => categoryChain(ctx.guard(deps.itemAttributes.of([itemId]), 'item-attributes'), ctx, itemId);
}

async function categoryChain(
  read: Promise<Map<string, Readonly<Record<string, string>>>>,
  ctx: PlanContext,
  itemId: string,
): Promise<ChainLink[]> {
  const chain: ChainLink[] = [];
  try {
    const attributes = (await read).get(itemId);
    for (const [column, raw] of Object.entries(attributes ?? {})) {
      for (const part of raw.split('|')) {
        const value = segmentValue(part);
        if (value !== undefined)
          chain.push({ segment: itemSegmentKey(column, value), source: 'popularity:category' });
      }
    }
  } catch {
    ctx.fail('item-attributes');
  }
  chain.push({ segment: GLOBAL_SEGMENT, source: 'popularity:global' });
  return chain;
}

function fromItemSource(
  ctx: PlanContext,
  source: ItemCandidateSource,
  itemId: string,
  userId?: string,
): CandidateList {
  return {
    source: source.source,
    items: ctx.guard(source.candidates(itemId, ctx.want, userId, ctx.context), source.source),
  };
}

/** The similar-items lists of an arm: its own source, then session co-view, then attribute neighbours. */
function similarLists(deps: SurfaceDeps, ctx: PlanContext, req: ItemListRequest): CandidateList[] {
  const primary = ownValue(deps.similar, ctx.arm.algorithm) ?? ownValue(deps.similar, 'default');
  const sources = [primary, deps.coView, deps.attributeNeighbours].filter(
    (s, k, all): s is ItemCandidateSource => s !== undefined && all.indexOf(s) === k,
  );
  return sources.map((s) => fromItemSource(ctx, s, req.itemId, req.userId));
}

function itemResponse(req: ItemListRequest, served: ServedList): ItemSurfaceResponse {
  return {
    recommendationId: served.recommendationId,
    itemId: req.itemId,
    ...(req.userId !== undefined ? { userId: req.userId } : {}),
    slot: served.slot,
    experiment: served.experiment,
    arm: served.arm,
    itemList: served.items,
    degraded: served.degraded,
  };
}

/**
 * GET /items/{itemId}/similar: the arm's similar items (CF neighbours; the personalize arm's Similar-Items
 * campaign), session co-view, attribute neighbours, then the popularity of the item's attribute values and
 * global popularity. Never the item itself.
 */
export function similarItems(
  deps: SurfaceDeps,
  req: ItemListRequest,
  options: { adminAuthorized?: boolean } = {},
): Promise<{ response: ItemSurfaceResponse; served: ServedList }> {
  return serveItemSurface(deps, req, options, (ctx) => similarLists(deps, ctx, req));
}

/**
 * GET /items/{itemId}/bought-together: items of the same baskets (co-purchase), then the item's similar
 * items as GET /items/{itemId}/similar serves them.
 */
export function boughtTogether(
  deps: SurfaceDeps,
  req: ItemListRequest,
  options: { adminAuthorized?: boolean } = {},
): Promise<{ response: ItemSurfaceResponse; served: ServedList }> {
  return serveItemSurface(deps, req, options, (ctx) => [
    fromItemSource(ctx, deps.boughtTogether, req.itemId, req.userId),
    ...similarLists(deps, ctx, req),
  ]);
}

/** An item surface: the given lists, then the item's attribute popularity and global; never the item. */
async function serveItemSurface(
  deps: SurfaceDeps,
  req: ItemListRequest,
  options: { adminAuthorized?: boolean },
  lists: (ctx: PlanContext) => CandidateList[],
): Promise<{ response: ItemSurfaceResponse; served: ServedList }> {
  const served = await serveList(
    deps,
    { ...req, assignKey: req.userId ?? req.itemId },
    {
      start: (ctx) => ({
        lists: lists(ctx),
        chain: itemChain(deps, ctx, req.itemId),
        blocked: (id) => id === req.itemId,
      }),
    },
    options,
  );
  return { response: itemResponse(req, served), served };
}

/** The answer of GET /rankings/{kind}. */
export interface RankingResponse {
  readonly recommendationId: string;
  readonly kind: RankingKind;
  readonly userId?: string;
  readonly slot: string;
  readonly experiment: string;
  readonly arm: string;
  readonly itemList: ServedItem[];
  readonly degraded: boolean;
}

/**
 * GET /rankings/{kind}: the published ranking (of one item attribute value when asked), filled from the
 * popularity of that value, else from global popularity.
 */
export async function ranking(
  deps: SurfaceDeps,
  req: RankingRequest,
  options: { adminAuthorized?: boolean } = {},
): Promise<{ response: RankingResponse; served: ServedList }> {
  const kind = req.kind as RankingKind;
  if (!RANKING_KINDS.includes(kind)) throw new ValidationError(`unknown ranking kind '${req.kind}'`, 'kind');
  const label = `ranking:${kind}`;
  const chain: ChainLink[] = req.attribute
    ? [
        {
          segment: rankingSegment(kind, itemSegmentKey(req.attribute.column, req.attribute.value)),
          source: label,
        },
        { segment: itemSegmentKey(req.attribute.column, req.attribute.value), source: 'popularity:category' },
      ]
    : [
        { segment: rankingSegment(kind), source: label },
        { segment: GLOBAL_SEGMENT, source: 'popularity:global' },
      ];
  const served = await serveList(
    deps,
    { ...req, assignKey: req.userId ?? `ranking#${kind}` },
    { start: () => ({ lists: [], chain: async () => chain }) },
    options,
  );
  return {
    response: {
      recommendationId: served.recommendationId,
      kind,
      ...(req.userId !== undefined ? { userId: req.userId } : {}),
      slot: served.slot,
      experiment: served.experiment,
      arm: served.arm,
      itemList: served.items,
      degraded: served.degraded,
    },
    served,
  };
}

/** The answer of POST /users/{userId}/ranking (GetPersonalizedRanking's shape). */
export interface UserRankingResponse {
  readonly recommendationId: string;
  readonly userId: string;
  readonly slot: string;
  readonly experiment: string;
  readonly arm: string;
  readonly personalizedRanking: ServedItem[];
  readonly degraded: boolean;
}

/** Global ranking pages read at most to place input items (each 500 items; the rest are unranked). */
const RANKING_GLOBAL_PAGES = 3;

/**
 * POST /users/{userId}/ranking: every input item once, NG items removed. The arm's scores first (its
 * user list; the personalize arm's GetPersonalizedRanking), then the user's segment and global popularity,
 * then items without any signal, in input order, score 0, source `unranked`.
 */
export async function personalizedRanking(
  deps: SurfaceDeps,
  req: UserRankingRequest,
  options: { adminAuthorized?: boolean } = {},
): Promise<{ response: UserRankingResponse; served: ServedList }> {
  let attributes: UserAttributes = {};
  const served = await serveList(
    deps,
    {
      assignKey: req.userId,
      userId: req.userId,
      numResults: req.inputList.length,
      slot: req.slot,
      arm: req.arm,
      exclude: [],
      metadata: req.metadata,
      filter: req.filter,
    },
    {
      start(ctx) {
        const profile = ctx.guard(deps.profiles.getProfile(req.userId), 'profiles').then(
          (stored) => {
            if (stored) attributes = stored;
          },
          () => ctx.fail('profiles'),
        );
        let list: CandidateList;
        if (ctx.arm.algorithm === 'personalize' && deps.ranker) {
          const filter = ctx.context.personalizeFilter;
          const input = filter
            ? { ...req, filterArn: filter.filterArn, filterValues: filter.filterValues }
            : req;
          list = { source: 'personalize', items: ctx.guard(deps.ranker.rank(input), 'personalize') };
        } else {
          const source = ownValue(deps.sources, ctx.arm.algorithm);
          list = {
            source: source?.source ?? ctx.arm.algorithm,
            items: source
              ? ctx.guard(source.candidates(req.userId, 500, ctx.context), source.source)
              : Promise.resolve([]),
          };
        }
        return {
          lists: [list],
          waitFor: [profile],
          allowed: new Set(req.inputList),
          chain: async (meta) => userChain(attributes, meta),
          globalPages: RANKING_GLOBAL_PAGES,
          unranked: req.inputList,
        };
      },
    },
    options,
  );
  return {
    response: {
      recommendationId: served.recommendationId,
      userId: req.userId,
      slot: served.slot,
      experiment: served.experiment,
      arm: served.arm,
      personalizedRanking: served.items,
      degraded: served.degraded,
    },
    served,
  };
}
