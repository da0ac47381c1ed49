import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseErrors } from '../helpers/openapi.js';
import { type Started, startOsusume } from '../helpers/start-process.js';

interface Recs {
  recommendationId: string;
  userId: string;
  arm: string;
  itemList: { itemId: string; score: number; source: string }[];
  degraded: boolean;
}

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const adminToken = () => ADMIN_TOKEN;

describe('npm start (embedded DynamoDB, generated shop, real HTTP)', () => {
  let app: Started;

  beforeAll(async () => {
    // time-to-ready is measured by bench/request-path.ts, not asserted here
    // a generous request budget: `degraded: false` below must not depend on how loaded the machine is
    app = await startOsusume([], { OSUSUME_ADMIN_TOKEN: ADMIN_TOKEN, REQUEST_BUDGET_MS: '5000' }, 150_000);
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('answers GET /health', async () => {
    const res = await fetch(`${app.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('serves a known user a full list from an experiment arm', async () => {
    const res = await app.appFetch(`/users/u000001/recommendations?numResults=7`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Recs;
    expect(responseErrors('GET', '/users/{userId}/recommendations', 200, body)).toBe('');
    expect(body.userId).toBe('u000001');
    expect(['cf', 'fm', 'personalize', 'session']).toContain(body.arm);
    expect(body.degraded).toBe(false);
    expect(body.itemList).toHaveLength(7);
    expect(new Set(body.itemList.map((i) => i.itemId)).size).toBe(7);
    expect(body.recommendationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves global popularity to an unknown user, 25 items by default', async () => {
    const res = await app.appFetch(`/users/someone-new/recommendations`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Recs;
    expect(body.itemList.every((i) => i.source === 'popularity:global')).toBe(true);
    expect(body.itemList).toHaveLength(25);
    const scores = body.itemList.map((i) => i.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('rejects numResults out of range with 400 naming the parameter', async () => {
    const res = await app.appFetch(`/users/u000001/recommendations?numResults=501`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(responseErrors('GET', '/users/{userId}/recommendations', 400, body)).toBe('');
    expect(body.code).toBe('ValidationError');
    expect(body.message).toContain('numResults');
  });

  it('rejects a userId over 256 characters with 400', async () => {
    const res = await app.appFetch(`/users/${'a'.repeat(257)}/recommendations`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('userId');
  });

  it('rejects a userId with control characters with 400', async () => {
    const res = await app.appFetch(`/users/bad%01id/recommendations`);
    expect(res.status).toBe(400);
  });

  it('answers 404 with a JSON body for an unknown route', async () => {
    const res = await fetch(`${app.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'NotFound' });
  });

  it('serves an unknown user with attributes the popularity of their segment', async () => {
    const res = await app.appFetch(`/users/visitor-with-attrs/recommendations?GENDER=f&AGE_GROUP=25-34`);
    const body = (await res.json()) as Recs;
    expect(body.itemList[0].source).toBe('popularity:segment');
  });

  it('removes an item added to the NG list through the admin API', async () => {
    const first = (await (
      await app.appFetch(`/users/someone-new/recommendations?numResults=3`)
    ).json()) as Recs;
    const top = first.itemList[0].itemId;
    const put = await fetch(`${app.url}/ng-items/${top}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'out of stock' }),
    });
    expect(put.status).toBe(200);
    expect(responseErrors('PUT', '/ng-items/{itemId}', 200, await put.json())).toBe('');
    const after = (await (
      await app.appFetch(`/users/someone-new/recommendations?numResults=3`)
    ).json()) as Recs;
    expect(after.itemList.map((i) => i.itemId)).not.toContain(top);
    const list = await fetch(`${app.url}/ng-items`, { headers: { authorization: `Bearer ${adminToken()}` } });
    const page = (await list.json()) as { items: { itemId: string }[] };
    expect(responseErrors('GET', '/ng-items', 200, page)).toBe('');
    expect(page.items.map((i) => i.itemId)).toContain(top);
    const del = await fetch(`${app.url}/ng-items/${top}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${adminToken()}` },
    });
    expect(del.status).toBe(204);
  });

  it('answers 401 to admin calls without the token and changes nothing', async () => {
    const put = await fetch(`${app.url}/ng-items/i00001`, { method: 'PUT' });
    expect(put.status).toBe(401);
    expect(await put.json()).toMatchObject({ code: 'Unauthorized' });
    const list = await fetch(`${app.url}/ng-items`, { headers: { authorization: `Bearer ${adminToken()}` } });
    expect(((await list.json()) as { items: { itemId: string }[] }).items.map((i) => i.itemId)).not.toContain(
      'i00001',
    );
  });

  it('answers 401 to an arm override without the admin token', async () => {
    const res = await app.appFetch(`/users/u000001/recommendations?arm=fm`);
    expect(res.status).toBe(401);
  });

  it('honours an arm override with the admin token', async () => {
    const res = await app.appFetch(`/users/u000001/recommendations?arm=fm`, {
      headers: { authorization: `Bearer ${adminToken()}` },
    });
    expect(((await res.json()) as Recs).arm).toBe('fm');
  });

  it('serves the admin preview route with a forced arm to an admin, unrecorded, and 401 to anyone else', async () => {
    const path = '/admin/users/u000001/recommendations?arm=session&numResults=4';
    const res = await fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${adminToken()}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Recs;
    expect(body.arm).toBe('session');
    expect(body.itemList).toHaveLength(4);
    for (const headers of [{}, { 'x-api-key': app.appKey }] as Record<string, string>[]) {
      const denied = await fetch(`${app.url}${path}`, { headers });
      expect(denied.status).toBe(401);
    }
  });

  it('serves the admin session preview with a forced arm and recent items to an admin, storing nothing, and 401 to anyone else', async () => {
    const path = '/admin/sessions/preview-e2e/recommendations?arm=session&numResults=4';
    const admin = { headers: { authorization: `Bearer ${adminToken()}` } };
    const empty = await fetch(`${app.url}${path}`, admin);
    expect(empty.status).toBe(200);
    const emptyBody = (await empty.json()) as Recs;
    const recent = emptyBody.itemList.slice(0, 2).map((i) => i.itemId);
    const res = await fetch(`${app.url}${path}&items=${recent.join(',')}`, admin);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Recs & { sessionId: string };
    expect(responseErrors('GET', '/admin/sessions/{sessionId}/recommendations', 200, body)).toBe('');
    expect(body).toMatchObject({ sessionId: 'preview-e2e', arm: 'session' });
    expect(body.itemList.map((i) => i.itemId)).not.toEqual(emptyBody.itemList.map((i) => i.itemId));
    // items= is read-only: the session answers as before without it
    const again = (await (await fetch(`${app.url}${path}`, admin)).json()) as Recs;
    expect(again.itemList).toEqual(emptyBody.itemList);
    for (const headers of [{}, { 'x-api-key': app.appKey }] as Record<string, string>[]) {
      const denied = await fetch(`${app.url}${path}`, { headers });
      expect(denied.status).toBe(401);
    }
  });

  it('rejects more than 100 excluded items with 400 naming exclude', async () => {
    const ex = Array.from({ length: 101 }, (_, i) => `i${i}`).join(',');
    const res = await app.appFetch(`/users/u000001/recommendations?exclude=${ex}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('exclude');
  });

  it('rejects an unknown slot with 400', async () => {
    const res = await app.appFetch(`/users/u000001/recommendations?slot=nowhere`);
    expect(res.status).toBe(400);
  });

  it('prints example curl commands that send the app key', () => {
    expect(app.output()).toContain(`curl -H 'x-api-key: ${app.appKey}' 'http://`);
  });

  it('writes no log line or metrics blob per request unless POWERTOOLS_LOG_LEVEL asks for them', async () => {
    const before = app.output().length;
    for (let k = 0; k < 3; k++)
      expect((await app.appFetch(`/users/quiet-${k}/recommendations?numResults=3`)).status).toBe(200);
    // the child's stdout reaches this process through a pipe: give a line written before the answer time to arrive
    await new Promise((r) => setTimeout(r, 300));
    const after = app.output().slice(before);
    expect(after).not.toContain('"served"');
    expect(after).not.toContain('_aws');
  });

  // ---- the app routes behind the app-key authorizer, CORS and the body bound (as API Gateway applies them) ----
  it('answers an app route without an app key with 401 naming the header', async () => {
    for (const res of [
      await fetch(`${app.url}/users/u000001/recommendations`),
      await fetch(`${app.url}/events`, { method: 'POST', body: '{}' }),
    ]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ code: 'Unauthorized', message: 'missing x-api-key header' });
    }
  });

  it('answers an app route with a wrong app key with 403, as API Gateway does when the authorizer says no', async () => {
    const res = await fetch(`${app.url}/users/u000001/recommendations`, {
      headers: { 'x-api-key': `${app.appKey}x` },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('Forbidden');
  });

  it('serves an app route with the app key', async () => {
    const res = await fetch(`${app.url}/users/u000001/recommendations`, {
      headers: { 'x-api-key': app.appKey },
    });
    expect(res.status).toBe(200);
  });

  it('serves an anonymous session from its own events, and gives them to the user who identifies in it', async () => {
    const admin = { headers: { authorization: `Bearer ${adminToken()}` } };
    const cf = async (path: string) => ((await (await app.appFetch(path, admin)).json()) as Recs).itemList;
    const before = await cf('/users/u-anon-login/recommendations?arm=cf&repeat=exclude&numResults=5');
    const [top, second] = before.map((i) => i.itemId);
    const post = (event: Record<string, unknown>, itemId: string, eventId: string) =>
      app.appFetch('/events', {
        method: 'POST',
        body: JSON.stringify({
          ...event,
          sessionId: 'anon-e2e',
          eventList: [{ eventId, eventType: 'view', itemId, sentAt: Date.now() / 1000 - 1 }],
        }),
      });
    expect((await post({}, top, 'anon-e2e-1')).status).toBe(200);
    const res = await app.appFetch(
      '/sessions/anon-e2e/recommendations?arm=cf&repeat=exclude&numResults=5',
      admin,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Recs & { sessionId: string };
    expect(responseErrors('GET', '/sessions/{sessionId}/recommendations', 200, body)).toBe('');
    expect(body).toMatchObject({ sessionId: 'anon-e2e', userId: 'anon-e2e', arm: 'cf' });
    expect(body.itemList.map((i) => i.itemId)).not.toContain(top);
    expect((await post({ userId: 'u-anon-login' }, second, 'anon-e2e-2')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 700)); // past SESSION_EVENTS_CACHE_MS
    const after = await cf('/users/u-anon-login/recommendations?arm=cf&repeat=exclude&numResults=5');
    expect(after.map((i) => i.itemId)).not.toContain(top);
    expect(after.map((i) => i.itemId)).not.toContain(second);
    const bad = await app.appFetch('/sessions/anon-e2e/recommendations?repeat=sometimes');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      code: 'ValidationError',
      message: 'repeat must be one of allow, exclude',
    });
  });

  it("records an admin request's impression at servedAt, and refuses servedAt to others", async () => {
    const admin = { headers: { authorization: `Bearer ${adminToken()}` } };
    const at = Math.floor(Date.now() / 1000) - 3 * 86_400;
    const path = `/users/u-served-at/recommendations?numResults=3&servedAt=${at}`;
    expect((await app.appFetch(path)).status).toBe(401);
    const old = await app.appFetch(`/users/u-served-at/recommendations?servedAt=${at - 400 * 86_400}`, admin);
    expect(await old.json()).toEqual({
      code: 'ValidationError',
      message: 'servedAt is older than the event retention',
    });
    expect((await app.appFetch(path, admin)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 700)); // past IMPRESSION_BATCH_MS
    const range = (from: number, to: number) =>
      `since=${new Date(from * 1000).toISOString()}&until=${new Date(to * 1000).toISOString()}`;
    const report = (await (
      await fetch(`${app.url}/reports/ab?${range(at - 60, at + 60)}`, admin)
    ).json()) as {
      slots: { arms: { impressions: number }[] }[];
    };
    expect(report.slots.flatMap((s) => s.arms).reduce((n, a) => n + a.impressions, 0)).toBe(1);
  });

  it('rejects a POST /events body over the bound with 413 {code, message}', async () => {
    const body = JSON.stringify({
      userId: 'u1',
      sessionId: 's1',
      eventList: [],
      pad: 'x'.repeat(300 * 1024),
    });
    const res = await app.appFetch('/events', { method: 'POST', body });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ code: 'PayloadTooLarge', message: 'the body exceeds 262144 bytes' });
  });

  it('gives an origin that is not configured no CORS allow header, on requests and preflights', async () => {
    const evil = 'https://evil.example';
    const res = await app.appFetch('/users/u000001/recommendations', { headers: { origin: evil } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${app.url}/events`, {
      method: 'OPTIONS',
      headers: { origin: evil, 'access-control-request-method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows the origins of the corsOrigins param, on requests and preflights', async () => {
    const shop = 'http://localhost:3000';
    const res = await app.appFetch('/users/u000001/recommendations', { headers: { origin: shop } });
    expect(res.headers.get('access-control-allow-origin')).toBe(shop);
    const pre = await fetch(`${app.url}/events`, {
      method: 'OPTIONS',
      headers: {
        origin: shop,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(shop);
    expect(pre.headers.get('access-control-allow-headers')).toContain('x-api-key');
  });
});
