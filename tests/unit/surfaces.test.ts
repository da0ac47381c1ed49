import {
  GetPersonalizedRankingCommand,
  GetRecommendationsCommand,
  PersonalizeRuntimeClient,
} from '@aws-sdk/client-personalize-runtime';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoFilterStore } from '../../shared/adapters/dynamodb/filter-store.js';
import { DynamoItemCatalogStore } from '../../shared/adapters/dynamodb/item-catalog-store.js';
import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import { DynamoPipelineStateStore } from '../../shared/adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from '../../shared/adapters/dynamodb/popularity-store.js';
import { DynamoRecommendationStore } from '../../shared/adapters/dynamodb/recommendation-store.js';
import { DynamoUserProfileStore } from '../../shared/adapters/dynamodb/user-profile-store.js';
import {
  PersonalizeRankingRuntime,
  PersonalizeSimilarItemsRuntime,
} from '../../shared/adapters/personalize/personalize-item-runtime.js';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import type { Dataset } from '../../shared/domain/data/dataset.js';
import { parseFilterUse } from '../../shared/domain/filters/request.js';
import { computePopularityLists } from '../../shared/domain/popularity/popularity.js';
import { publishSurfaceLists } from '../../shared/pipeline/surfaces.js';
import type { CandidateSource } from '../../shared/ports/candidates.js';
import { NgList, VersionPointers } from '../../shared/use-cases/candidate-sources.js';
import { FilterRegistry, ItemCatalogs } from '../../shared/use-cases/filters.js';
import { POPULARITY, PopularitySource, popularityMetaKey } from '../../shared/use-cases/popularity-source.js';
import { publishItemCatalog } from '../../shared/use-cases/publish-popularity.js';
import {
  boughtTogether,
  ITEM_LISTS,
  ItemAttributes,
  PersonalizeSimilarSource,
  personalizedRanking,
  ranking,
  type SurfaceDeps,
  similarItems,
  StoredItemLists,
} from '../../shared/use-cases/surfaces.js';
import { useDynalite } from '../helpers/dynalite.js';
import { singleArm } from '../helpers/request-path.js';

const db = useDynalite('surfaces');
const V = 'v1';
const FILTER_ARN = 'arn:aws:personalize:ap-northeast-1:123456789012:filter/osusume-category';

/** A small shop: toys and books, baskets of a toy with a book, one toy nobody touched. */
function shop(): Dataset {
  const b = new DatasetBuilder();
  for (let i = 0; i < 12; i++) b.addItem(`toy${i}`, { CATEGORY: 'toys', PRICE_BAND: i % 2 ? 'low' : 'high' });
  for (let i = 0; i < 12; i++) b.addItem(`book${i}`, { CATEGORY: 'books', PRICE_BAND: 'mid' });
  b.addItem('new-toy', { CATEGORY: 'toys', PRICE_BAND: 'low' });
  let t = 1_000_000;
  for (let u = 0; u < 40; u++) {
    const toy = `toy${u % 12}`;
    const book = `book${u % 12}`;
    b.addInteraction(`u${u}`, toy, t++, 'view');
    b.addInteraction(`u${u}`, `toy${(u + 1) % 12}`, t++, 'view');
    b.addInteraction(`u${u}`, toy, t++, 'cart');
    b.addInteraction(`u${u}`, book, t++, 'purchase');
  }
  return b.build();
}

describe('shop surfaces on the published lists (embedded DynamoDB)', () => {
  let deps: SurfaceDeps;
  let ng: DynamoNgItemStore;
  let table: string;
  let catalogReads = 0;

  beforeAll(async () => {
    table = await db.freshTable('recommendations');
    const state = new DynamoPipelineStateStore(db.doc(), { tableName: await db.freshTable('state') });
    const recommendations = new DynamoRecommendationStore(db.doc(), { tableName: table });
    const popularityStore = new DynamoPopularityStore(db.doc(), { tableName: table });
    ng = new DynamoNgItemStore(db.doc(), { tableName: await db.freshTable('ngItems') });
    const dataset = shop();
    const lists = computePopularityLists(dataset, { minSupport: 1 });
    await popularityStore.putSegmentLists(V, lists);
    await publishSurfaceLists({ recommendations, popularityStore }, dataset, V, lists);
    // the item catalogue (filters and item attributes read it) as the nightly publishes it, its page
    // reads counted; and one filter mapped to a Personalize filter
    const itemCatalog = new DynamoItemCatalogStore(db.doc(), { tableName: table });
    const pages = await publishItemCatalog(itemCatalog, V, dataset);
    const getCatalog = itemCatalog.getCatalog.bind(itemCatalog);
    itemCatalog.getCatalog = (version, n) => {
      catalogReads++;
      return getCatalog(version, n);
    };
    const filterStore = new DynamoFilterStore(db.doc(), { tableName: await db.freshTable('state') });
    await filterStore.put({
      name: 'by-category',
      expression: 'INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)',
      personalizeFilterArn: FILTER_ARN,
      updatedAt: 1,
    });
    await state.putRecord(popularityMetaKey(V), {
      segmentColumns: [],
      lists: lists.length,
      createdAt: 0,
      itemCatalogPages: pages,
    });
    await state.setActiveVersion(POPULARITY, V, undefined);
    const pointers = new VersionPointers(state, 60_000);
    const popularity = new PopularitySource(state, popularityStore, 60_000);
    const catalogs = new ItemCatalogs(itemCatalog);
    // a user list for the ranking: the cf arm scores book3 above toy3
    const cf: CandidateSource = {
      source: 'cf',
      candidates: async () => [
        { itemId: 'book3', score: 29 },
        { itemId: 'toy3', score: 14.5 },
      ],
    };
    const none = new StoredItemLists('cf-items', ITEM_LISTS.cf, 'cf', pointers, recommendations);
    deps = {
      experiments: singleArm('cf'),
      popularity,
      ngList: new NgList(ng, 0),
      similar: { default: none },
      coView: new StoredItemLists('session-items', ITEM_LISTS.session, 'session', pointers, recommendations),
      attributeNeighbours: new StoredItemLists(
        'attribute-items',
        ITEM_LISTS.attributes,
        POPULARITY,
        pointers,
        recommendations,
      ),
      boughtTogether: new StoredItemLists(
        'bought-together',
        ITEM_LISTS.boughtTogether,
        POPULARITY,
        pointers,
        recommendations,
      ),
      itemAttributes: new ItemAttributes(popularity, catalogs),
      sources: { cf },
      profiles: new DynamoUserProfileStore(db.doc(), { tableName: await db.freshTable('users') }),
      filters: new FilterRegistry(filterStore, 60_000),
      catalogs,
    };
  });

  it('answers metadata= from the catalogue pages, read once, with no per-item attribute records', async () => {
    const rank = (value: string) =>
      ranking(deps, {
        kind: 'most-viewed',
        numResults: 2,
        exclude: [],
        metadata: ['CATEGORY', 'PRICE_BAND'],
        attribute: { column: 'CATEGORY', value },
      });
    const books = (await rank('books')).response.itemList.map((i) => i.metadata);
    const toys = (await rank('toys')).response.itemList.map((i) => i.metadata?.CATEGORY);
    expect(books).toEqual([
      { CATEGORY: 'books', PRICE_BAND: 'mid' },
      { CATEGORY: 'books', PRICE_BAND: 'mid' },
    ]);
    expect(toys).toEqual(['toys', 'toys']);
    // one catalogue load for the version in this process, then in-memory lookups
    expect(catalogReads).toBe(1);
    const { Items = [] } = await db.doc().send(new ScanCommand({ TableName: table }));
    const keys = Items.map((i) => String(i.pk));
    expect(keys.some((k) => k.startsWith(`items#${V}#`))).toBe(true);
    expect(keys.filter((k) => k.startsWith('attr#'))).toEqual([]);
  });

  it('answers each metadata= column list with only its columns, in the order the items are served', async () => {
    const rank = (metadata: string[]) =>
      ranking(deps, { kind: 'most-viewed', numResults: 24, exclude: [], metadata });
    const both = (await rank(['CATEGORY', 'PRICE_BAND'])).response.itemList;
    const band = (await rank(['PRICE_BAND'])).response.itemList;
    const again = (await rank(['CATEGORY', 'PRICE_BAND'])).response.itemList;
    expect(band.map((i) => i.itemId)).toEqual(both.map((i) => i.itemId));
    for (const [k, item] of both.entries()) {
      const expected = item.itemId.startsWith('book') ? 'books' : 'toys';
      expect(item.metadata?.CATEGORY).toBe(expected);
      expect(band[k].metadata).toEqual({ PRICE_BAND: item.metadata?.PRICE_BAND });
      expect(again[k].metadata).toEqual(item.metadata);
    }
  });
  it('gives a new item without history similar items from its attributes, then its category', async () => {
    const req = { itemId: 'new-toy', numResults: 15, exclude: [], metadata: ['CATEGORY'] };
    const { response } = await similarItems(deps, req);
    expect(response.itemList).toHaveLength(15);
    expect(response.itemList[0].source).toBe('attribute-items');
    expect(response.itemList.slice(0, 12).every((i) => i.metadata?.CATEGORY === 'toys')).toBe(true);
    expect(response.itemList.map((i) => i.itemId)).not.toContain('new-toy');
  });

  it('answers bought-together from the baskets first, without an NG item', async () => {
    await ng.put({ itemId: 'book5', createdAt: 0 });
    const { response } = await boughtTogether(deps, {
      itemId: 'toy0',
      numResults: 5,
      exclude: [],
      metadata: [],
    });
    expect(response.itemList[0]).toMatchObject({ itemId: 'book0', source: 'bought-together', score: 1 });
    expect(response.itemList.map((i) => i.itemId)).not.toContain('book5');
    await ng.delete('book5');
  });

  it('restricts a ranking to one category value, filled from that value only', async () => {
    const { response } = await ranking(deps, {
      kind: 'best-sellers',
      numResults: 20,
      exclude: [],
      metadata: ['CATEGORY'],
      attribute: { column: 'CATEGORY', value: 'books' },
    });
    expect(response.itemList).toHaveLength(12);
    expect(new Set(response.itemList.map((i) => i.metadata?.CATEGORY))).toEqual(new Set(['books']));
    expect(response.itemList[0].source).toBe('ranking:best-sellers');
  });

  it('re-ranks the input: arm scores first scaled to [0, 1], then popularity, unknown items last', async () => {
    const { response } = await personalizedRanking(deps, {
      userId: 'u1',
      inputList: ['nope', 'toy7', 'toy3', 'book3'],
      metadata: [],
    });
    expect(response.personalizedRanking.map((i) => [i.itemId, i.score, i.source])).toEqual([
      ['book3', 1, 'cf'],
      ['toy3', 0.5, 'cf'],
      ['toy7', expect.any(Number), 'popularity:global'],
      ['nope', 0, 'unranked'],
    ]);
  });

  it('serves the personalize arm from the Similar-Items campaign, NG removed, filled by osusume', async () => {
    const client = new PersonalizeRuntimeClient({ region: 'ap-northeast-1', maxAttempts: 1 });
    const mock = mockClient(client);
    mock.on(GetRecommendationsCommand).resolves({
      itemList: [
        { itemId: 'book1', score: 0.8 },
        { itemId: 'book2', score: 0.4 },
      ],
    });
    const campaignArn = 'arn:aws:personalize:ap-northeast-1:123456789012:campaign/osusume-sims';
    const sims = new PersonalizeSimilarSource(
      new PersonalizeSimilarItemsRuntime(client, { campaignArn, timeoutMs: 500 }),
    );
    await ng.put({ itemId: 'book2', createdAt: 0 });
    const { response } = await similarItems(
      { ...deps, experiments: singleArm('personalize'), similar: { ...deps.similar, personalize: sims } },
      { itemId: 'toy1', userId: 'u1', numResults: 6, exclude: [], metadata: [] },
    );
    await ng.delete('book2');
    expect(response.arm).toBe('personalize');
    expect(response.itemList[0]).toMatchObject({ itemId: 'book1', source: 'personalize', score: 1 });
    expect(response.itemList.map((i) => i.itemId)).not.toContain('book2');
    expect(response.itemList).toHaveLength(6);
    expect(mock).toHaveReceivedCommandWith(GetRecommendationsCommand, {
      campaignArn,
      itemId: 'toy1',
      userId: 'u1',
    });
  });

  it('re-ranks on the personalize arm with GetPersonalizedRanking, keeping every input item', async () => {
    const client = new PersonalizeRuntimeClient({ region: 'ap-northeast-1', maxAttempts: 1 });
    const mock = mockClient(client);
    mock.on(GetPersonalizedRankingCommand).resolves({
      personalizedRanking: [
        { itemId: 'toy2', score: 0.9 },
        { itemId: 'toy1', score: 0.3 },
      ],
    });
    const campaignArn = 'arn:aws:personalize:ap-northeast-1:123456789012:campaign/osusume-ranking';
    const { response } = await personalizedRanking(
      {
        ...deps,
        experiments: singleArm('personalize'),
        ranker: new PersonalizeRankingRuntime(client, { campaignArn, timeoutMs: 500 }),
      },
      { userId: 'u1', inputList: ['toy1', 'toy2', 'gone'], metadata: [] },
    );
    expect(response.personalizedRanking.map((i) => [i.itemId, i.source])).toEqual([
      ['toy2', 'personalize'],
      ['toy1', 'personalize'],
      ['gone', 'unranked'],
    ]);
    expect(mock).toHaveReceivedCommandWith(GetPersonalizedRankingCommand, {
      campaignArn,
      userId: 'u1',
      inputList: ['toy1', 'toy2', 'gone'],
    });
  });

  it('passes the mapped Personalize filter ARN and filterValues to Similar-Items and GetPersonalizedRanking', async () => {
    const client = new PersonalizeRuntimeClient({ region: 'ap-northeast-1', maxAttempts: 1 });
    const mock = mockClient(client);
    mock.on(GetRecommendationsCommand).resolves({
      itemList: [
        { itemId: 'book1', score: 0.8 },
        { itemId: 'toy2', score: 0.6 },
      ],
    });
    mock.on(GetPersonalizedRankingCommand).resolves({
      personalizedRanking: [
        { itemId: 'book4', score: 0.9 },
        { itemId: 'toy4', score: 0.5 },
      ],
    });
    const campaign = (name: string) => `arn:aws:personalize:ap-northeast-1:123456789012:campaign/${name}`;
    const filter = parseFilterUse('by-category', '{"CATEGORY":"\\"books\\""}');
    const personalize = {
      ...deps,
      experiments: singleArm('personalize'),
      similar: {
        ...deps.similar,
        personalize: new PersonalizeSimilarSource(
          new PersonalizeSimilarItemsRuntime(client, { campaignArn: campaign('sims'), timeoutMs: 500 }),
        ),
      },
      ranker: new PersonalizeRankingRuntime(client, { campaignArn: campaign('ranking'), timeoutMs: 500 }),
    };
    const similar = await similarItems(personalize, {
      itemId: 'toy1',
      userId: 'u1',
      numResults: 4,
      exclude: [],
      metadata: ['CATEGORY'],
      filter,
    });
    const ranked = await personalizedRanking(personalize, {
      userId: 'u1',
      inputList: ['toy4', 'book4', 'book5'],
      metadata: ['CATEGORY'],
      filter,
    });
    const sent = { filterArn: FILTER_ARN, filterValues: { CATEGORY: '"books"' } };
    expect(mock).toHaveReceivedCommandWith(GetRecommendationsCommand, { itemId: 'toy1', ...sent });
    expect(mock).toHaveReceivedCommandWith(GetPersonalizedRankingCommand, {
      inputList: ['toy4', 'book4', 'book5'],
      ...sent,
    });
    // osusume still checks what Personalize answers: a toy it let through is dropped
    expect(similar.response.itemList[0]).toMatchObject({ itemId: 'book1', source: 'personalize' });
    expect(similar.response.itemList.every((i) => i.metadata?.CATEGORY === 'books')).toBe(true);
    expect(ranked.response.personalizedRanking.map((i) => [i.itemId, i.source])).toEqual([
      ['book4', 'personalize'],
      ['book5', expect.stringMatching(/^popularity|^unranked/)],
    ]);
    mock.restore();
  });
});
