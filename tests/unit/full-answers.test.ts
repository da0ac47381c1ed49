import { describe, expect, it } from 'vitest';
import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import { DynamoPipelineStateStore } from '../../shared/adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from '../../shared/adapters/dynamodb/popularity-store.js';
import { DynamoUserProfileStore } from '../../shared/adapters/dynamodb/user-profile-store.js';
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import { DEFAULT_EXPERIMENTS } from '../../shared/domain/experiments/experiments.js';
import { MAX_EXCLUDES, parseRecommendationRequest } from '../../shared/domain/recommend/request.js';
import { NgList } from '../../shared/use-cases/candidate-sources.js';
import { PopularitySource } from '../../shared/use-cases/popularity-source.js';
import { publishPopularity } from '../../shared/use-cases/publish-popularity.js';
import { recommend } from '../../shared/use-cases/recommend.js';
import { useDynalite } from '../helpers/dynalite.js';

const T0 = 1_750_000_000;
const MAX_NUM_RESULTS = 500;

/**
 * A shop of `nItems` items, item k viewed by 40 - (k mod 40) of 40 users, users split into GENDER=f/m. Published through publishPopularity into DynamoDB (dynalite), no arm versions: every
 * user is served by the popularity fallback, which is where short answers came from.
 */
async function publishedShop(dynamo: ReturnType<typeof useDynalite>, nItems: number) {
  const b = new DatasetBuilder();
  const nUsers = 40;
  for (let u = 0; u < nUsers; u++) b.addUser(`u${u}`, { GENDER: u % 2 === 0 ? 'f' : 'm' });
  for (let k = 0; k < nItems; k++) {
    for (let u = 0; u < nUsers - (k % nUsers); u++) b.addInteraction(`u${u}`, `i${k}`, T0 - k, 'view');
  }
  const doc = dynamo.doc();
  const recommendations = await dynamo.freshTable('recommendations');
  const state = new DynamoPipelineStateStore(doc, { tableName: await dynamo.freshTable('state') });
  const profiles = new DynamoUserProfileStore(doc, { tableName: await dynamo.freshTable('users') });
  const ngItems = new DynamoNgItemStore(doc, { tableName: await dynamo.freshTable('ngItems') });
  const popularityStore = new DynamoPopularityStore(doc, {
    tableName: recommendations,
    retentionSeconds: 3600,
  });
  await publishPopularity({ popularity: popularityStore, profiles, state }, b.build(), { minSupport: 1 });
  const deps = {
    experiments: DEFAULT_EXPERIMENTS,
    sources: {},
    profiles,
    popularity: new PopularitySource(state, popularityStore, 60_000),
    ngList: new NgList(ngItems, 0),
  };
  return { deps, ngItems };
}

/** The request path's answer for a user at the maximum numResults with `exclude`. */
async function serve(
  deps: Awaited<ReturnType<typeof publishedShop>>['deps'],
  userId: string,
  exclude: string[],
) {
  const req = parseRecommendationRequest(
    userId,
    { numResults: String(MAX_NUM_RESULTS), exclude: exclude.join(',') },
    25,
  );
  return (await recommend(deps, req)).response;
}

describe('full answers at the maximum numResults (NG + exclude, against dynalite)', () => {
  const dynamo = useDynalite('full');

  it('fills 500 items past 300 NG items and 100 excludes from further down the global ranking', async () => {
    const { deps, ngItems } = await publishedShop(dynamo, 1200);
    const ng = Array.from({ length: 300 }, (_, k) => `i${k * 2}`); // every other item of the top 600
    for (const itemId of ng) await ngItems.put({ itemId, createdAt: 0 });
    const exclude = Array.from({ length: MAX_EXCLUDES }, (_, k) => `i${k * 2 + 1}`);
    const response = await serve(deps, 'cold-visitor', exclude);
    const ids = response.itemList.map((i) => i.itemId);
    const banned = new Set([...ng, ...exclude]);
    expect(ids).toHaveLength(MAX_NUM_RESULTS);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => banned.has(id))).toEqual([]);
    expect(response.degraded).toBe(false);
  });

  it('fills a known user of a segment from the segment list, then the global ranking', async () => {
    const { deps, ngItems } = await publishedShop(dynamo, 1200);
    for (let k = 0; k < 300; k++) await ngItems.put({ itemId: `i${k}`, createdAt: 0 });
    const response = await serve(deps, 'u0', []);
    const ids = response.itemList.map((i) => i.itemId);
    expect(ids).toHaveLength(MAX_NUM_RESULTS);
    expect(ids.some((id) => Number(id.slice(1)) < 300)).toBe(false);
    expect(new Set(response.itemList.map((i) => i.source))).toEqual(
      new Set(['popularity:segment', 'popularity:global']),
    );
  });

  it('answers every allowed item when the catalogue has fewer than numResults of them', async () => {
    const { deps, ngItems } = await publishedShop(dynamo, 700);
    for (let k = 0; k < 300; k++) await ngItems.put({ itemId: `i${k}`, createdAt: 0 });
    const response = await serve(deps, 'cold-visitor', []);
    expect(response.itemList).toHaveLength(400);
    expect(response.degraded).toBe(false);
  });
});
