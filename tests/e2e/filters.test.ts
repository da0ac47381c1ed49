import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeShop } from '../../shared/domain/data/generator.js';
import { responseErrors } from '../helpers/openapi.js';
import { type Started, startOsusume } from '../helpers/start-process.js';

interface Recs {
  itemList: { itemId: string; score: number; source: string; promotionName?: string }[];
  degraded: boolean;
}

const ADMIN_TOKEN = 'e2e-filters-admin-token-0123';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
const RECS = '/users/{userId}/recommendations';

describe('filters and promotions over HTTP (osusume start)', () => {
  let app: Started;
  let dir: string;
  const categoryOf = new Map<string, string>();
  let boughtToday: string[] = [];

  const putFilter = (name: string, expression: string) =>
    fetch(`${app.url}/filters/${name}`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ expression }),
    });
  const recs = async (userId: string, query: Record<string, string>) => {
    const res = await app.appFetch(`/users/${userId}/recommendations?${new URLSearchParams(query)}`);
    const body = (await res.json()) as Recs;
    return { status: res.status, body };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osusume-filters-'));
    await writeShop({ users: 300, items: 400, days: 10, seed: 5 }, join(dir, 'shop'));
    const items = (await readFile(join(dir, 'shop', 'items.csv'), 'utf8')).trim().split('\n').slice(1);
    for (const line of items) {
      const [id, category] = line.split(',');
      categoryOf.set(id, category);
    }
    app = await startOsusume(
      ['--data', join(dir, 'shop')],
      { OSUSUME_ADMIN_TOKEN: ADMIN_TOKEN, REQUEST_BUDGET_MS: '5000', SESSION_EVENTS_CACHE_MS: '0' },
      150_000,
    );
    expect(
      (await putFilter('by-category', 'INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)')).status,
    ).toBe(200);
    expect(
      (await putFilter('not-bought', 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")')).status,
    ).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores, lists and deletes filters through the admin routes, as OpenAPI says', async () => {
    const put = await putFilter('cheap-ish', 'EXCLUDE ItemID WHERE Items.PRICE_BAND IN ("premium")');
    const stored = await put.json();
    expect(responseErrors('PUT', '/filters/{name}', 200, stored)).toBe('');
    const list = await (await fetch(`${app.url}/filters`, { headers: admin })).json();
    expect(responseErrors('GET', '/filters', 200, list)).toBe('');
    expect((list as { filters: { name: string }[] }).filters.map((f) => f.name)).toEqual([
      'by-category',
      'cheap-ish',
      'not-bought',
    ]);
    const del = await fetch(`${app.url}/filters/cheap-ish`, { method: 'DELETE', headers: admin });
    expect(del.status).toBe(204);
    const again = await fetch(`${app.url}/filters/cheap-ish`, { method: 'DELETE', headers: admin });
    expect(again.status).toBe(404);
    expect((await fetch(`${app.url}/filters`)).status).toBe(401);
  });

  it('rejects a malformed expression with 400 naming position and token', async () => {
    const res = await putFilter('bad', 'INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(responseErrors('PUT', '/filters/{name}', 400, body)).toBe('');
    expect(body.message).toBe(
      "filter expression: expected ')' at position 49, found the end of the expression",
    );
  });

  it('returns only the category an INCLUDE filter names, a full list without duplicates', async () => {
    // 26 of the 400 items are shoes (25 with events): 15 fit every user's answer
    expect([...categoryOf.values()].filter((c) => c === 'shoes').length).toBeGreaterThan(15);
    for (const user of ['u000001', 'someone-new']) {
      const { status, body } = await recs(user, {
        numResults: '15',
        filter: 'by-category',
        filterValues: JSON.stringify({ CATEGORY: '"shoes"' }),
      });
      expect(status).toBe(200);
      expect(responseErrors('GET', RECS, 200, body)).toBe('');
      const ids = body.itemList.map((i) => i.itemId);
      expect(ids).toHaveLength(15);
      expect(new Set(ids).size).toBe(15);
      expect(ids.filter((id) => categoryOf.get(id) !== 'shoes')).toEqual([]);
    }
  });

  it('drops what the user bought today under an EXCLUDE purchased filter', async () => {
    const before = await recs('u000002', { numResults: '10' });
    const bought = before.body.itemList.slice(0, 4).map((i) => i.itemId);
    boughtToday = bought;
    const posted = await app.appFetch('/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        userId: 'u000002',
        sessionId: 'e2e-filters',
        eventList: bought.map((itemId, i) => ({
          eventId: `e2e-filters-${i}`,
          eventType: 'purchase',
          itemId,
          sentAt: Date.now() / 1000 - 10 + i,
        })),
      }),
    });
    expect(posted.status).toBe(200);
    const { status, body } = await recs('u000002', { numResults: '10', filter: 'not-bought' });
    expect(status).toBe(200);
    const ids = body.itemList.map((i) => i.itemId);
    expect(ids).toHaveLength(10);
    expect(ids.filter((id) => bought.includes(id))).toEqual([]);
  });

  it('reserves the stated share for promoted items, labelled, beside a request filter and NG-free', async () => {
    const ng = await fetch(`${app.url}/ng-items/${encodeURIComponent([...categoryOf.keys()][0])}`, {
      method: 'PUT',
      headers: admin,
    });
    expect(ng.status).toBe(200);
    const promotions = JSON.stringify([
      {
        name: 'shoe-week',
        filterName: 'by-category',
        percentPromotedItems: 25,
        filterValues: { CATEGORY: '"shoes"' },
      },
    ]);
    const { status, body } = await recs('u000003', { numResults: '20', promotions, exclude: 'i-none' });
    expect(status).toBe(200);
    expect(responseErrors('GET', RECS, 200, body)).toBe('');
    const promoted = body.itemList.filter((i) => i.promotionName === 'shoe-week');
    expect(body.itemList).toHaveLength(20);
    expect(promoted).toHaveLength(5);
    expect(promoted.every((i) => categoryOf.get(i.itemId) === 'shoes')).toBe(true);
    expect(body.itemList.map((i) => i.itemId)).not.toContain([...categoryOf.keys()][0]);
  });

  it('applies filters on the item surfaces and rankings too', async () => {
    const shoes = JSON.stringify({ CATEGORY: '"shoes"' });
    const item = [...categoryOf.keys()][10];
    for (const path of [
      `/items/${item}/similar`,
      `/items/${item}/bought-together`,
      '/rankings/best-sellers',
      '/rankings/trending',
    ]) {
      const res = await app.appFetch(
        `${path}?${new URLSearchParams({ numResults: '8', filter: 'by-category', filterValues: shoes })}`,
      );
      expect(res.status, path).toBe(200);
      const body = (await res.json()) as Recs;
      const ids = body.itemList.map((i) => i.itemId);
      expect(ids.length, path).toBeGreaterThan(0);
      expect(new Set(ids).size, path).toBe(ids.length);
      expect(
        ids.filter((id) => categoryOf.get(id) !== 'shoes'),
        path,
      ).toEqual([]);
    }
    // the user who bought today (previous test) never sees those items on an item page either
    const res = await app.appFetch(
      `/items/${item}/similar?${new URLSearchParams({ numResults: '30', userId: 'u000002', filter: 'not-bought' })}`,
    );
    expect(res.status).toBe(200);
    expect(boughtToday).toHaveLength(4);
    const ids = ((await res.json()) as Recs).itemList.map((i) => i.itemId);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((id) => boughtToday.includes(id))).toEqual([]);
  });

  it('answers 400 naming an unknown filter and a missing placeholder value', async () => {
    const unknown = await recs('u000001', { filter: 'no-such-filter' });
    expect(unknown.status).toBe(400);
    expect(responseErrors('GET', RECS, 400, unknown.body)).toBe('');
    expect((unknown.body as unknown as { message: string }).message).toContain(
      "unknown filter 'no-such-filter'",
    );
    const missing = await recs('u000001', { filter: 'by-category' });
    expect(missing.status).toBe(400);
    expect((missing.body as unknown as { message: string }).message).toContain('$CATEGORY');
  });
});
