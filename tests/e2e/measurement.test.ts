import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeShop } from '../../shared/domain/data/generator.js';
import type { AbReport } from '../../shared/domain/measurement/ab-report.js';
import { responseErrors } from '../helpers/openapi.js';
import { ROOT, type Started, startOsusume } from '../helpers/start-process.js';

const run = promisify(execFile);
const ADMIN_TOKEN = 'e2e-measurement-token-0123';

/** Runs the osusume CLI and returns its stdout. */
async function osusume(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['shared/cli/osusume.mjs', ...args], {
    cwd: ROOT,
    env: { ...process.env, OSUSUME_ADMIN_TOKEN: ADMIN_TOKEN },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('events, simulator and A/B report against npm start (small generated shop)', () => {
  let dir: string;
  let app: Started;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osusume-measure-'));
    await writeShop({ seed: 11, users: 300, items: 200 }, join(dir, 'shop'));
    await osusume('simulate', '--data', join(dir, 'shop'), '--write-train', join(dir, 'train'));
    app = await startOsusume(['--data', join(dir, 'train')], { OSUSUME_ADMIN_TOKEN: ADMIN_TOKEN });
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const post = (body: unknown) =>
    app.appFetch(`/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('stores a batch of events once, reporting a resend as duplicates', async () => {
    const body = {
      userId: 'e2e-user',
      sessionId: 's1',
      eventList: [
        { eventId: 'e2e-1', eventType: 'view', itemId: 'i1', sentAt: nowSeconds() },
        { eventId: 'e2e-2', eventType: 'cart', itemId: 'i1', sentAt: new Date().toISOString() },
      ],
    };
    const first = await post(body);
    const firstBody = await first.json();
    expect(first.status).toBe(200);
    expect(responseErrors('POST', '/events', 200, firstBody)).toBe('');
    expect(firstBody).toEqual({ received: 2, stored: 2, duplicates: [] });
    expect(await (await post(body)).json()).toEqual({
      received: 2,
      stored: 0,
      duplicates: ['e2e-1', 'e2e-2'],
    });
  });

  it('answers 400 naming the event index and field of a bad event', async () => {
    const res = await post({
      userId: 'u',
      sessionId: 's',
      eventList: [{ eventId: 'x', eventType: 'hover', itemId: 'i', sentAt: nowSeconds() }],
    });
    const body = (await res.json()) as { message: string };
    expect(res.status).toBe(400);
    expect(responseErrors('POST', '/events', 400, body)).toBe('');
    expect(body.message).toContain('eventList[0].eventType');
  });

  it('answers 400 to a body that is not JSON', async () => {
    const res = await app.appFetch(`/events`, { method: 'POST', body: '{not json' });
    expect(res.status).toBe(400);
  });

  it('protects the report with the admin token', async () => {
    expect((await fetch(`${app.url}/reports/ab`)).status).toBe(401);
  });

  it('re-scores the session arm from an item the user just carted', async () => {
    let userId = '';
    let before: string[] = [];
    for (let u = 1; u <= 300 && !userId; u++) {
      const id = `u${String(u).padStart(6, '0')}`;
      const r = (await (await app.appFetch(`/users/${id}/recommendations?numResults=5`)).json()) as {
        arm: string;
        itemList: { itemId: string }[];
      };
      if (r.arm === 'session') {
        userId = id;
        before = r.itemList.map((i) => i.itemId);
      }
    }
    expect(userId).not.toBe('');
    await post({
      userId,
      sessionId: 'sx',
      eventList: [{ eventId: `cart-${userId}`, eventType: 'cart', itemId: before[0], sentAt: nowSeconds() }],
    });
    // the request Lambda reuses a user's recent events for SESSION_EVENTS_CACHE_MS (500 ms by default)
    await new Promise((r) => setTimeout(r, 600));
    // repeat=exclude: discovery only, so the carted item itself may not come back as a reminder
    const after = (await (
      await app.appFetch(`/users/${userId}/recommendations?numResults=5&repeat=exclude`)
    ).json()) as {
      itemList: { itemId: string; source: string }[];
    };
    // the session model scores the carted item's neighbours: a new list, without the carted item itself
    expect(after.itemList.map((i) => i.itemId)).not.toEqual(before);
    expect(after.itemList.map((i) => i.itemId)).not.toContain(before[0]);
    expect(after.itemList[0].source).toBe('session');
  });

  it('replays 100 users with the simulator and reports every arm with intervals and a chart', async () => {
    const out = await osusume(
      'simulate',
      '--api',
      app.url,
      '--data',
      join(dir, 'shop'),
      '--users',
      '100',
      '--seed',
      '3',
      '--app-key',
      app.appKey,
    );
    expect(out).toMatch(/simulated 100 users/);
    const json = await osusume(
      'ab-report',
      '--api',
      app.url,
      '--format',
      'json',
      '--chart',
      join(dir, 'ab.svg'),
    );
    const report = JSON.parse(json) as AbReport;
    expect(responseErrors('GET', '/reports/ab', 200, report)).toBe('');
    const home = report.slots.find((s) => s.slot === 'home')!;
    expect(home.arms.map((a) => a.arm).sort()).toEqual(['cf', 'fm', 'personalize', 'session']);
    expect(home.arms.reduce((s, a) => s + a.impressions, 0)).toBeGreaterThanOrEqual(100);
    expect(report.attribution.direct).toBeGreaterThan(0);
    for (const a of home.arms) {
      expect(a.perImpression.view.low).toBeLessThanOrEqual(a.perImpression.view.rate);
      expect(a.perImpression.view.high).toBeGreaterThanOrEqual(a.perImpression.view.rate);
    }
    const svg = await readFile(join(dir, 'ab.svg'), 'utf8');
    expect(svg).toContain('add-to-cart rate');
  });

  it('computes the same report from the events table with --db-endpoint', async () => {
    const endpoint = /embedded DynamoDB \(dynalite\) on (http:\/\/\S+)/.exec(app.output())?.[1];
    expect(endpoint).toBeDefined();
    const viaApi = JSON.parse(await osusume('ab-report', '--api', app.url, '--format', 'json')) as AbReport;
    const direct = JSON.parse(
      await osusume('ab-report', '--db-endpoint', endpoint!, '--format', 'json'),
    ) as AbReport;
    expect(direct.slots).toEqual(viaApi.slots);
    expect(direct.attribution).toEqual(viaApi.attribution);
  });
});
