import { GetRecommendationsCommand, PersonalizeRuntimeClient } from '@aws-sdk/client-personalize-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/event-store.js';
import { DynamoFilterStore } from '../../shared/adapters/dynamodb/filter-store.js';
import { DynamoItemCatalogStore } from '../../shared/adapters/dynamodb/item-catalog-store.js';
import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import { DynamoPipelineStateStore } from '../../shared/adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from '../../shared/adapters/dynamodb/popularity-store.js';
import { DynamoRecommendationStore } from '../../shared/adapters/dynamodb/recommendation-store.js';
import { DynamoUserProfileStore } from '../../shared/adapters/dynamodb/user-profile-store.js';
import { PersonalizeRuntimeRecommender } from '../../shared/adapters/personalize/personalize-runtime.js';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import { NotFoundError, ValidationError } from '../../shared/domain/errors.js';
import { catalogFromPages, catalogPages } from '../../shared/domain/filters/item-catalog.js';
import { parseRecommendationRequest } from '../../shared/domain/recommend/request.js';
import {
  NgList,
  PersonalizeSource,
  PrecomputedSource,
  VersionPointers,
} from '../../shared/use-cases/candidate-sources.js';
import { DATASET_COLUMNS_KEY } from '../../shared/use-cases/catalog.js';
import {
  deleteFilter,
  FilterRegistry,
  ItemCatalogs,
  listFilters,
  putFilter,
} from '../../shared/use-cases/filters.js';
import { PopularitySource } from '../../shared/use-cases/popularity-source.js';
import { publishPopularity } from '../../shared/use-cases/publish-popularity.js';
import { recommend } from '../../shared/use-cases/recommend.js';
import { useDynalite } from '../helpers/dynalite.js';
import { singleArm } from '../helpers/request-path.js';

const dynamo = useDynalite('filters');
const T0 = 1_750_000_000;
const CATEGORIES = ['shoes', 'bags', 'hats'];
const category = (k: number) => CATEGORIES[k % 3];
const FILTER_ARN = 'arn:aws:personalize:ap-northeast-1:123456789012:filter/osusume-category';

/**
 * A shop of 90 items (item k in category k mod 3, price k) with popularity falling with k, published
 * through publishPopularity (lists, profiles and the item catalogue) into dynalite; the cf arm's list of
 * u0 holds every item in reverse order. Filters, NG items and events live in their own tables.
 */
async function shop() {
  const b = new DatasetBuilder();
  for (let k = 0; k < 90; k++) b.addItem(`i${k}`, { CATEGORY: category(k), PRICE: String(k) });
  for (let u = 0; u < 30; u++) {
    b.addUser(`u${u}`, { GENDER: u % 2 === 0 ? 'f' : 'm' });
    for (let k = 0; k < 90 - u * 3; k++) b.addInteraction(`u${u}`, `i${k}`, T0 - k, 'view');
  }
  const doc = dynamo.doc();
  const recommendationsTable = await dynamo.freshTable('recommendations');
  const state = new DynamoPipelineStateStore(doc, { tableName: await dynamo.freshTable('state') });
  const profiles = new DynamoUserProfileStore(doc, { tableName: await dynamo.freshTable('users') });
  const ngItems = new DynamoNgItemStore(doc, { tableName: await dynamo.freshTable('ngItems') });
  const events = new DynamoEventStore(doc, { tableName: await dynamo.freshTable('events'), ttlDays: 7 });
  const popularityStore = new DynamoPopularityStore(doc, { tableName: recommendationsTable });
  const itemCatalog = new DynamoItemCatalogStore(doc, { tableName: recommendationsTable });
  const recommendations = new DynamoRecommendationStore(doc, { tableName: recommendationsTable });
  await publishPopularity({ popularity: popularityStore, profiles, state, itemCatalog }, b.build(), {
    minSupport: 1,
  });
  await state.putRecord(DATASET_COLUMNS_KEY, { users: ['GENDER'], items: ['CATEGORY', 'PRICE'] });
  const cfList = Array.from({ length: 90 }, (_, j) => ({ itemId: `i${89 - j}`, score: 90 - j }));
  await recommendations.putUserLists('cf', 'v1', [{ userId: 'u0', items: cfList }]);
  await state.setActiveVersion('cf', 'v1', undefined);
  const filterStore = new DynamoFilterStore(doc, { tableName: await dynamo.freshTable('state') });
  const filters = new FilterRegistry(filterStore, 60_000);
  const pointers = new VersionPointers(state, 60_000);
  const deps = {
    experiments: singleArm('cf'),
    sources: { cf: new PrecomputedSource('cf', 'cf', pointers, recommendations) },
    profiles,
    popularity: new PopularitySource(state, popularityStore, 60_000),
    ngList: new NgList(ngItems, 0),
    filters,
    catalogs: new ItemCatalogs(itemCatalog),
    interactions: events,
  };
  const admin = { filterStore, filters, state };
  return { deps, admin, ngItems, events, filterStore };
}

const req = (userId: string, query: Record<string, string>) => parseRecommendationRequest(userId, query, 10);
const filterBody = (expression: string, personalizeFilterArn?: string) =>
  JSON.stringify({ expression, ...(personalizeFilterArn ? { personalizeFilterArn } : {}) });

/** The ValidationError (or other DomainError) a promise rejects with. */
async function failure(
  p: Promise<unknown>,
): Promise<{ message: string; parameter?: string; status: number }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ValidationError)
      return { message: err.message, parameter: err.parameter, status: 400 };
    if (err instanceof NotFoundError) return { message: err.message, status: 404 };
    throw err;
  }
  throw new Error('did not fail');
}

describe('filters (PUT /filters and filter= on the request path)', () => {
  it('stores the item catalogue in pages under the byte limit and reads it back from DynamoDB', async () => {
    const b = new DatasetBuilder();
    for (let k = 0; k < 300; k++)
      b.addItem(`商品${k}`, { CATEGORY: k % 2 ? '靴|セール' : 'かばん', PRICE: String(k) });
    const dataset = b.build();
    const pages = catalogPages({ ids: dataset.items.ids, columns: dataset.itemAttributes }, 2000);
    expect(pages.length).toBeGreaterThan(4);
    for (const p of pages) expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(2000);
    const store = new DynamoItemCatalogStore(dynamo.doc(), {
      tableName: await dynamo.freshTable('recommendations'),
    });
    await store.putCatalog('v1', pages);
    const catalog = catalogFromPages(await store.getCatalog('v1', pages.length));
    expect(catalog.ids).toEqual(dataset.items.ids);
    const column = catalog.columns.get('CATEGORY')!;
    const i = catalog.index.get('商品7')!;
    expect(
      [...column.values.slice(column.offsets[i], column.offsets[i + 1])].map((v) => column.dict[v]),
    ).toEqual(['靴', 'セール']);
  });

  it('stores, lists and deletes filters on DynamoDB, with their placeholders', async () => {
    const { admin } = await shop();
    await putFilter(
      admin,
      'by-category',
      filterBody('INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)', FILTER_ARN),
    );
    await putFilter(admin, 'cheap', filterBody('INCLUDE ItemID WHERE Items.PRICE < 10'));
    const listed = await listFilters(admin);
    expect(listed.map((f) => [f.name, f.placeholders, f.personalizeFilterArn])).toEqual([
      ['by-category', ['CATEGORY'], FILTER_ARN],
      ['cheap', [], undefined],
    ]);
    await deleteFilter(admin, 'cheap');
    expect((await listFilters(admin)).map((f) => f.name)).toEqual(['by-category']);
    expect((await failure(deleteFilter(admin, 'cheap'))).status).toBe(404);
  });

  it('rejects at PUT a malformed expression naming position and token, and an attribute items lack', async () => {
    const { admin } = await shop();
    const bad = await failure(
      putFilter(admin, 'f', filterBody('INCLUDE ItemID WHERE Items.CATEGORY IN "a"')),
    );
    expect(bad).toEqual({
      message: "filter expression: expected '(' at position 39, found '\"a\"'",
      parameter: 'expression',
      status: 400,
    });
    const unknown = await failure(
      putFilter(admin, 'f', filterBody('EXCLUDE ItemID WHERE Items.COLOUR IN ("red")')),
    );
    expect(unknown.message).toContain('Items.COLOUR is not an item column');
    expect((await failure(putFilter(admin, '-bad', filterBody('x')))).parameter).toBe('name');
    expect((await failure(putFilter(admin, 'f', '{"expression":"x","extra":1}'))).parameter).toBe('extra');
  });

  it('returns only the category an INCLUDE filter names, full from the category list when the arm runs short', async () => {
    const { deps, admin } = await shop();
    await putFilter(admin, 'by-category', filterBody('INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)'));
    const { response } = await recommend(
      deps,
      req('u7', { numResults: '25', filter: 'by-category', filterValues: '{"CATEGORY":"\\"bags\\""}' }),
    );
    expect(response.itemList).toHaveLength(25);
    expect(response.itemList.every((i) => Number(i.itemId.slice(1)) % 3 === 1)).toBe(true);
    expect(response.itemList[0].source).toBe('popularity:segment');
    expect(response.degraded).toBe(false);
  });

  it('filters the arm candidates and keeps NG and exclude absolute', async () => {
    const { deps, admin, ngItems } = await shop();
    await putFilter(admin, 'cheap', filterBody('INCLUDE ItemID WHERE Items.PRICE <= $MAX'));
    await ngItems.put({ itemId: 'i40', createdAt: 0 });
    const { response } = await recommend(
      deps,
      req('u0', { numResults: '10', filter: 'cheap', filterValues: '{"MAX":"45"}', exclude: 'i45,i44' }),
    );
    expect(response.itemList.map((i) => i.itemId)).toEqual([
      'i43',
      'i42',
      'i41',
      'i39',
      'i38',
      'i37',
      'i36',
      'i35',
      'i34',
      'i33',
    ]);
    expect(response.itemList.every((i) => i.source === 'cf')).toBe(true);
  });

  it('drops what the user bought today under an EXCLUDE purchased filter', async () => {
    const { deps, admin, events } = await shop();
    await putFilter(
      admin,
      'not-bought',
      filterBody('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'),
    );
    const bought = ['i89', 'i87', 'i3'];
    await events.putEvents(
      bought.map((itemId, k) => ({
        eventId: `e${k}`,
        userId: 'u0',
        sessionId: 's1',
        eventType: 'purchase' as const,
        rawEventType: 'purchase',
        itemId,
        sentAt: Date.now() - k,
      })),
    );
    const { response } = await recommend(deps, req('u0', { numResults: '90', filter: 'not-bought' }));
    const ids = response.itemList.map((i) => i.itemId);
    expect(ids).toHaveLength(87);
    for (const id of bought) expect(ids).not.toContain(id);
  });

  it("reads the user's events once for an Interactions filter and the repeat policy's session items", async () => {
    const { deps, admin, events } = await shop();
    await putFilter(
      admin,
      'not-bought',
      filterBody('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'),
    );
    const now = Date.now();
    const event = (k: number, eventType: 'purchase' | 'view', itemId: string) => ({
      eventId: `r${k}`,
      userId: 'u0',
      sessionId: 's1',
      eventType,
      rawEventType: eventType,
      itemId,
      sentAt: now - k,
    });
    // i89 bought (filter), i88 viewed in the current session (repeat policy `exclude`)
    await events.putEvents([event(0, 'view', 'i88'), event(1, 'purchase', 'i89')]);
    const reads: number[] = [];
    const counted = {
      recentEvents: (userId: string, limit: number) => {
        reads.push(limit);
        return events.recentEvents(userId, limit);
      },
      sessionEvents: (sessionId: string, limit: number) => events.sessionEvents(sessionId, limit),
    };
    const { response } = await recommend(
      { ...deps, interactions: counted, recentEvents: counted, recentLimit: 10 },
      req('u0', { numResults: '10', filter: 'not-bought', repeat: 'exclude' }),
    );
    expect(reads).toEqual([100]);
    const ids = response.itemList.map((i) => i.itemId);
    expect(ids).toHaveLength(10);
    expect(ids).not.toContain('i89');
    expect(ids).not.toContain('i88');
  });

  it('answers 400 naming an unknown filter, a missing INCLUDE placeholder and filterValues without filter', async () => {
    const { deps, admin } = await shop();
    await putFilter(admin, 'by-category', filterBody('INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)'));
    expect(await failure(recommend(deps, req('u0', { filter: 'nope' })))).toMatchObject({
      parameter: 'filter',
      message: expect.stringContaining("unknown filter 'nope'"),
    });
    expect(await failure(recommend(deps, req('u0', { filter: 'by-category' })))).toMatchObject({
      parameter: 'filterValues',
      message: expect.stringContaining('$CATEGORY'),
    });
    expect((await failure(Promise.resolve().then(() => req('u0', { filterValues: '{}' })))).parameter).toBe(
      'filterValues',
    );
  });

  it('reserves the promotion share for items passing its filter, labelled and in their own order', async () => {
    const { deps, admin } = await shop();
    await putFilter(admin, 'hats', filterBody('INCLUDE ItemID WHERE Items.CATEGORY IN ("hats")'));
    await putFilter(admin, 'not-hats', filterBody('EXCLUDE ItemID WHERE Items.CATEGORY IN ("hats")'));
    const promotions = JSON.stringify([{ name: 'hat-sale', filterName: 'hats', percentPromotedItems: 30 }]);
    const { response } = await recommend(
      deps,
      req('u0', { numResults: '20', filter: 'not-hats', promotions }),
    );
    const promoted = response.itemList.filter((i) => i.promotionName === 'hat-sale');
    const others = response.itemList.filter((i) => i.promotionName === undefined);
    expect(response.itemList).toHaveLength(20);
    expect(promoted).toHaveLength(6);
    expect(promoted.every((i) => Number(i.itemId.slice(1)) % 3 === 2)).toBe(true);
    expect(others.every((i) => Number(i.itemId.slice(1)) % 3 !== 2)).toBe(true);
    // the cf list is in descending item order: promoted items keep that order among themselves
    const order = promoted.map((i) => Number(i.itemId.slice(1)));
    expect(order).toEqual([...order].sort((a, b) => b - a));
  });

  it('passes the mapped Personalize filter ARN and the request filterValues to GetRecommendations', async () => {
    const { deps, admin } = await shop();
    await putFilter(
      admin,
      'by-category',
      filterBody('INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)', FILTER_ARN),
    );
    const client = new PersonalizeRuntimeClient({ region: 'ap-northeast-1', maxAttempts: 1 });
    const mock = mockClient(client);
    mock.on(GetRecommendationsCommand).resolves({
      itemList: [
        { itemId: 'i2', score: 0.9 },
        { itemId: 'i0', score: 0.8 },
        { itemId: 'i5', score: 0.7 },
      ],
    });
    const personalize = new PersonalizeSource(
      'personalize',
      new PersonalizeRuntimeRecommender(client, {
        campaignArn: 'arn:aws:personalize:ap-northeast-1:123456789012:campaign/osusume-home',
        timeoutMs: 500,
      }),
    );
    const { response } = await recommend(
      { ...deps, experiments: singleArm('personalize'), sources: { personalize } },
      req('u0', { numResults: '5', filter: 'by-category', filterValues: '{"CATEGORY":"\\"hats\\""}' }),
    );
    expect(mock).toHaveReceivedCommandWith(GetRecommendationsCommand, {
      filterArn: FILTER_ARN,
      filterValues: { CATEGORY: '"hats"' },
    });
    // Personalize's answer is checked again: i0 (shoes) is dropped, the fill stays in hats
    expect(response.itemList.slice(0, 2).map((i) => [i.itemId, i.source])).toEqual([
      ['i2', 'personalize'],
      ['i5', 'personalize'],
    ]);
    expect(response.itemList.every((i) => Number(i.itemId.slice(1)) % 3 === 2)).toBe(true);
    mock.restore();
  });
});
