import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoItemAttributeStore } from '../../shared/adapters/dynamodb/item-attribute-store.js';
import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import { DynamoPipelineStateStore } from '../../shared/adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from '../../shared/adapters/dynamodb/popularity-store.js';
import { DynamoRecommendationStore } from '../../shared/adapters/dynamodb/recommendation-store.js';
import { DynamoUserProfileStore } from '../../shared/adapters/dynamodb/user-profile-store.js';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import type { Dataset } from '../../shared/domain/data/dataset.js';
import { computePopularityLists } from '../../shared/domain/popularity/popularity.js';
import { publishSurfaceLists } from '../../shared/pipeline/surfaces.js';
import type { CandidateSource } from '../../shared/ports/candidates.js';
import { NgList, VersionPointers } from '../../shared/use-cases/candidate-sources.js';
import { POPULARITY, PopularitySource, popularityMetaKey } from '../../shared/use-cases/popularity-source.js';
import {
  boughtTogether,
  ITEM_LISTS,
  ItemAttributes,
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

  beforeAll(async () => {
    const table = await db.freshTable('recommendations');
    const state = new DynamoPipelineStateStore(db.doc(), { tableName: await db.freshTable('state') });
    const recommendations = new DynamoRecommendationStore(db.doc(), { tableName: table });
    const popularityStore = new DynamoPopularityStore(db.doc(), { tableName: table });
    const itemAttributeStore = new DynamoItemAttributeStore(db.doc(), { tableName: table });
    ng = new DynamoNgItemStore(db.doc(), { tableName: await db.freshTable('ngItems') });
    const dataset = shop();
    const lists = computePopularityLists(dataset, { minSupport: 1 });
    await popularityStore.putSegmentLists(V, lists);
    await publishSurfaceLists({ recommendations, popularityStore, itemAttributeStore }, dataset, V, lists);
    await state.putRecord(popularityMetaKey(V), { segmentColumns: [], lists: lists.length, createdAt: 0 });
    await state.setActiveVersion(POPULARITY, V, undefined);
    const pointers = new VersionPointers(state, 60_000);
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
      popularity: new PopularitySource(state, popularityStore, 60_000),
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
      itemAttributes: new ItemAttributes(pointers, itemAttributeStore),
      sources: { cf },
      profiles: new DynamoUserProfileStore(db.doc(), { tableName: await db.freshTable('users') }),
    };
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
});
