import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Started, startOsusume } from '../helpers/start-process.js';

interface Recs {
  recommendationId: string;
  userId: string;
  itemList: { itemId: string; score: number }[];
  source: string;
  segment: string;
}

describe('npm start (embedded DynamoDB, generated shop, real HTTP)', () => {
  let app: Started;
  let startMs = 0;

  beforeAll(async () => {
    const t = Date.now();
    app = await startOsusume();
    startMs = Date.now() - t;
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('serves within 30 seconds of starting', () => {
    expect(startMs).toBeLessThan(30_000);
  });

  it('answers GET /health', async () => {
    const res = await fetch(`${app.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('serves segment popularity to a known user', async () => {
    const res = await fetch(`${app.url}/users/u000001/recommendations?numResults=7`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Recs;
    expect(body.userId).toBe('u000001');
    expect(body.source).toBe('popularity');
    expect(body.segment).toMatch(/^u:/);
    expect(body.itemList).toHaveLength(7);
    expect(new Set(body.itemList.map((i) => i.itemId)).size).toBe(7);
    expect(body.recommendationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves global popularity to an unknown user, 25 items by default', async () => {
    const res = await fetch(`${app.url}/users/someone-new/recommendations`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Recs;
    expect(body.segment).toBe('global');
    expect(body.itemList).toHaveLength(25);
    const scores = body.itemList.map((i) => i.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('rejects numResults out of range with 400 naming the parameter', async () => {
    const res = await fetch(`${app.url}/users/u000001/recommendations?numResults=501`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('ValidationError');
    expect(body.message).toContain('numResults');
  });

  it('rejects a userId over 256 characters with 400', async () => {
    const res = await fetch(`${app.url}/users/${'a'.repeat(257)}/recommendations`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('userId');
  });

  it('rejects a userId with control characters with 400', async () => {
    const res = await fetch(`${app.url}/users/bad%01id/recommendations`);
    expect(res.status).toBe(400);
  });

  it('answers 404 with a JSON body for an unknown route', async () => {
    const res = await fetch(`${app.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'NotFound' });
  });

  it('prints example curl commands', () => {
    expect(app.output()).toContain("curl 'http://");
  });
});
