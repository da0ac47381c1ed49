import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseErrors } from '../helpers/openapi.js';
import { type Started, startOsusume } from '../helpers/start-process.js';

interface Item {
  itemId: string;
  score: number;
  source: string;
  reason: string[];
  metadata?: Record<string, string>;
}
interface ItemSurface {
  itemId: string;
  arm: string;
  itemList: Item[];
  degraded: boolean;
}

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Full, NG-free, exclude-free, duplicate-free, every score in [0, 1], every item with a source and reason. */
function expectClean(items: Item[], n: number, forbidden: readonly string[]): void {
  expect(items).toHaveLength(n);
  const ids = items.map((i) => i.itemId);
  expect(new Set(ids).size).toBe(n);
  for (const id of forbidden) expect(ids).not.toContain(id);
  for (const i of items) {
    expect(i.score).toBeGreaterThanOrEqual(0);
    expect(i.score).toBeLessThanOrEqual(1);
    expect(i.source).not.toBe('');
    expect(i.reason.length).toBeGreaterThan(0);
  }
}

describe('shop surfaces over HTTP (osusume start: generated shop, nightly run, real requests)', () => {
  let app: Started;
  let ng: string;
  let item: string;

  beforeAll(async () => {
    app = await startOsusume([], { OSUSUME_ADMIN_TOKEN: ADMIN_TOKEN, REQUEST_BUDGET_MS: '5000' }, 150_000);
    // the item of a product page and an NG item among its neighbours
    const best = (await (await app.appFetch('/rankings/best-sellers?numResults=5')).json()) as ItemSurface;
    item = best.itemList[0].itemId;
    const similar = (await (await app.appFetch(`/items/${item}/similar?numResults=5`)).json()) as ItemSurface;
    ng = similar.itemList[0].itemId;
    const put = await fetch(`${app.url}/ng-items/${ng}`, { method: 'PUT', headers: admin });
    expect(put.status).toBe(200);
  }, 200_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('serves similar items of an item: full, without NG, excluded or the item itself, CF and co-view neighbours first', async () => {
    const first = (await (await app.appFetch(`/items/${item}/similar?numResults=3`)).json()) as ItemSurface;
    const excluded = first.itemList[0].itemId;
    const res = await app.appFetch(`/items/${item}/similar?numResults=40&exclude=${excluded}&userId=u000001`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as ItemSurface;
    expect(responseErrors('GET', '/items/{itemId}/similar', 200, body)).toBe('');
    expectClean(body.itemList, 40, [ng, excluded, item]);
    expect(body.degraded).toBe(false);
    expect(['similar-items', 'session-items', 'personalize-standin:similar-items']).toContain(
      body.itemList[0].source,
    );
  });

  it('serves bought-together items from co-purchase baskets, filled from similar items', async () => {
    const res = await app.appFetch(`/items/${item}/bought-together?numResults=30`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as ItemSurface;
    expect(responseErrors('GET', '/items/{itemId}/bought-together', 200, body)).toBe('');
    expectClean(body.itemList, 30, [ng, item]);
    expect(body.itemList[0].source).toBe('bought-together');
  });

  it('serves global popularity as the similar items of an item the catalogue does not know', async () => {
    const res = await app.appFetch('/items/i-unknown-item/similar?numResults=10');
    expect(res.status).toBe(200);
    const body = (await res.json()) as ItemSurface;
    expectClean(body.itemList, 10, [ng]);
    expect(body.itemList.every((i) => i.source === 'popularity:global')).toBe(true);
  });

  it('serves every ranking kind, and a category ranking with only that category', async () => {
    for (const kind of ['best-sellers', 'most-viewed', 'trending']) {
      const res = await app.appFetch(`/rankings/${kind}?numResults=25&metadata=CATEGORY`);
      expect(res.status, kind).toBe(200);
      const body = (await res.json()) as ItemSurface;
      expect(responseErrors('GET', '/rankings/{kind}', 200, body)).toBe('');
      expectClean(body.itemList, 25, [ng]);
      expect(body.itemList[0].source).toBe(`ranking:${kind}`);
    }
    const top = (await (
      await app.appFetch('/rankings/best-sellers?numResults=1&metadata=CATEGORY')
    ).json()) as ItemSurface;
    const category = top.itemList[0].metadata?.CATEGORY as string;
    const res = await app.appFetch(
      `/rankings/most-viewed?category=${encodeURIComponent(category)}&numResults=10&metadata=category`,
    );
    const body = (await res.json()) as ItemSurface;
    expectClean(body.itemList, 10, [ng]);
    expect(body.itemList.map((i) => i.metadata?.CATEGORY)).toEqual(Array(10).fill(category));
  });

  it('re-ranks an input list for a user: every input item once, NG removed, unknown items last', async () => {
    const recs = (await (
      await app.appFetch('/users/u000001/recommendations?numResults=20')
    ).json()) as ItemSurface;
    const inputList = [...recs.itemList.map((i) => i.itemId).reverse(), ng, 'no-such-item', 'no-such-item'];
    const res = await app.appFetch('/users/u000001/ranking?metadata=PRICE_BAND', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputList }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { personalizedRanking: Item[]; recommendationId: string };
    expect(responseErrors('POST', '/users/{userId}/ranking', 200, body)).toBe('');
    const ids = body.personalizedRanking.map((i) => i.itemId);
    expect(ids).toHaveLength(21);
    expect(new Set(ids)).toEqual(new Set([...recs.itemList.map((i) => i.itemId), 'no-such-item']));
    expect(ids.at(-1)).toBe('no-such-item');
    expect(body.personalizedRanking.at(-1)).toMatchObject({ score: 0, source: 'unranked' });
    expect(body.personalizedRanking[0].metadata?.PRICE_BAND).toMatch(/^(low|mid|high|premium)$/);
  });

  it('rejects unknown query parameters on every route with 400 naming them', async () => {
    for (const path of [
      `/items/${item}/similar?filterArn=foo&context=bar`,
      `/items/${item}/bought-together?context=bar`,
      '/rankings/trending?filterArn=foo',
      '/users/u000001/recommendations?filterArn=foo',
    ]) {
      const res = await app.appFetch(path);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.message, path).toMatch(/filterArn|context/);
    }
    const post = await app.appFetch('/users/u000001/ranking?context=x', {
      method: 'POST',
      body: JSON.stringify({ inputList: ['a'] }),
    });
    expect(post.status).toBe(400);
  });

  it('takes cold-user attributes by users.csv column, case-insensitively', async () => {
    const res = await app.appFetch('/users/visitor-lower/recommendations?gender=f&age_group=25-34');
    expect(res.status).toBe(200);
    const body = (await res.json()) as ItemSurface;
    expect(body.itemList[0].source).toBe('popularity:segment');
  });

  it('rejects a metadata column the items do not have with 400 naming metadata', async () => {
    const res = await app.appFetch(`/items/${item}/similar?metadata=COLOUR`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('metadata');
  });
});
