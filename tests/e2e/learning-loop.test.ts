import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDynamoClients } from '../../shared/adapters/dynamodb/clients.js';
import { DynamoPipelineStateStore } from '../../shared/adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from '../../shared/adapters/dynamodb/popularity-store.js';
import { defaultTableNames } from '../../shared/adapters/dynamodb/tables.js';
import { itemSegmentKey } from '../../shared/domain/popularity/segments.js';
import { responseErrors } from '../helpers/openapi.js';
import { type Started, startOsusume } from '../helpers/start-process.js';

interface Recs {
  arm: string;
  itemList: { itemId: string; score: number; source: string }[];
}
interface Run {
  runId: string;
  status: string;
  failedState?: string;
  error?: string;
  cause?: string;
  states?: { name: string; ms: number; count: number }[];
}

const TOKEN = 'e2e-loop-admin-token-0123456789';
const admin = { authorization: `Bearer ${TOKEN}` };
const NEW_USER = 'loop-e2e-visitor';
const NEW_ITEM = 'loop-e2e-new-item';
const MEMBER = 'loop-e2e-member';

describe('npm start: posted events train the next run started from the API (real HTTP)', () => {
  let app: Started;
  let bought: string[];
  let copied: string[];
  let runId: string;
  let finished: Run;
  let category: string;
  let coBought: string;
  let memberBefore: Recs;
  let memberAfterWrite: Recs;
  let segmentOfQuery: Recs;

  const cf = async (userId: string, query = ''): Promise<Recs> =>
    (await (
      await fetch(`${app.url}/admin/users/${userId}/recommendations?arm=cf&numResults=10${query}`, {
        headers: admin,
      })
    ).json()) as Recs;
  const postJson = (path: string, body: unknown) =>
    app.appFetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const post = (userId: string, items: string[], prefix: string) =>
    app.appFetch('/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        userId,
        sessionId: `${userId}-loop`,
        eventList: items.map((itemId, i) => ({
          eventId: `${prefix}-${i}`,
          eventType: 'purchase',
          itemId,
          sentAt: Date.now() / 1000 - 30 + i,
        })),
      }),
    });
  const startRun = () =>
    fetch(`${app.url}/admin/pipeline/runs`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ machine: 'scoring', requestId: 'e2e-loop-1' }),
    });

  beforeAll(async () => {
    // the quick FM of npm start varies by more than the gate's 5 % between runs; this test is about the loop
    app = await startOsusume([], { OSUSUME_ADMIN_TOKEN: TOKEN, QUALITY_GATE_MARGIN: '1' }, 150_000);
    const first = (await cf('u000001')).itemList.map((i) => i.itemId);
    bought = first.slice(0, 3);
    const popular = (await (
      await app.appFetch('/users/nobody-yet/recommendations?numResults=8')
    ).json()) as Recs;
    copied = popular.itemList.map((i) => i.itemId);
    // the least popular scored item outside the lists above; shoppers then buy it with what u000001 buys
    const ranking = (await (
      await app.appFetch('/users/nobody-at-all/recommendations?numResults=500')
    ).json()) as Recs;
    coBought = [...ranking.itemList]
      .reverse()
      .map((i) => i.itemId)
      .find((id) => !first.includes(id) && !copied.includes(id)) as string;
    expect((await post('u000001', bought, 'loop-e2e-a')).status).toBe(200);
    for (let k = 0; k < 20; k++)
      expect((await post(`loop-e2e-co-${k}`, [...bought, coBought], `loop-e2e-co${k}`)).status).toBe(200);
    expect((await post(NEW_USER, copied, 'loop-e2e-b')).status).toBe(200);
    // a new item of an existing category (PutItems shape, properties as Personalize's JSON string), bought
    // by a few shoppers before the run
    const dataDir = /generated sample shop in (\S+):/.exec(app.output())?.[1] as string;
    category = (await readFile(join(dataDir, 'items.csv'), 'utf8')).split('\n')[1]?.split(',')[1] as string;
    const created = await postJson('/items', {
      items: [{ itemId: NEW_ITEM, properties: JSON.stringify({ category, price_band: 'mid' }) }],
    });
    expect(created.status).toBe(200);
    expect(responseErrors('POST', '/items', 200, await created.json())).toBe('');
    for (let k = 0; k < 6; k++)
      expect((await post(`loop-e2e-buyer-${k}`, [NEW_ITEM], `loop-e2e-c${k}`)).status).toBe(200);
    // a user unknown to the process (cached as such), then created with attributes (PutUsers shape)
    memberBefore = await cf(MEMBER);
    expect(
      (
        await postJson('/users', {
          users: [{ userId: MEMBER, properties: { gender: 'f', AGE_GROUP: '25-34' } }],
        })
      ).status,
    ).toBe(200);
    memberAfterWrite = await cf(MEMBER);
    segmentOfQuery = await cf('loop-e2e-anonymous', '&GENDER=f&AGE_GROUP=25-34');
    const started = await startRun();
    expect(started.status).toBe(202);
    runId = ((await started.json()) as Run).runId;
    const deadline = Date.now() + 150_000;
    // the local run shares the server's event loop: a poll that meets a long synchronous step may find its
    // kept-alive connection closed, so it asks again (as any client retries an idempotent GET)
    do {
      await new Promise((r) => setTimeout(r, 500));
      try {
        const res = await fetch(`${app.url}/admin/pipeline/runs/${runId}`, {
          headers: { ...admin, connection: 'close' },
        });
        finished = (await res.json()) as Run;
      } catch {
        finished = { runId, status: 'RUNNING' };
      }
    } while (finished.status === 'RUNNING' && Date.now() < deadline);
  }, 360_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('runs the nightly scoring machine started by POST /admin/pipeline/runs to SUCCEEDED', () => {
    expect(finished.status, `${finished.failedState}: ${finished.error}: ${finished.cause}`).toBe(
      'SUCCEEDED',
    );
    expect(responseErrors('GET', '/admin/pipeline/runs/{runId}', 200, finished)).toBe('');
  });

  it('reports the time spent in each state of the run', () => {
    const names = (finished.states ?? []).map((s) => s.name);
    for (const s of ['Prepare', 'TrainCf', 'Evaluate', 'Publish']) expect(names).toContain(s);
    expect(finished.states?.find((s) => s.name === 'Prepare')?.ms).toBeGreaterThan(0);
  });

  it('answers a retried start with the run it already started', async () => {
    const again = await startRun();
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ runId, started: false, status: 'SUCCEEDED' });
  });

  it('lists the run among the recent runs', async () => {
    const res = await fetch(`${app.url}/admin/pipeline/runs`, { headers: admin });
    const body = (await res.json()) as { runs: Run[] };
    expect(responseErrors('GET', '/admin/pipeline/runs', 200, body)).toBe('');
    expect(body.runs.map((r) => r.runId)).toContain(runId);
  });

  it('no longer recommends what the user bought before the run', async () => {
    const after = await cf('u000001');
    expect(after.itemList).toHaveLength(10);
    for (const item of bought) expect(after.itemList.map((i) => i.itemId)).not.toContain(item);
  });

  it("raises what others bought together with the user's purchases into the user's list", async () => {
    const after = await cf('u000001');
    expect(after.itemList.map((i) => i.itemId)).toContain(coBought);
  });

  it('serves CF candidates to a user who exists only through posted events', async () => {
    const recs = await cf(NEW_USER);
    expect(recs.itemList[0]?.source).toBe('cf');
    for (const item of copied) expect(recs.itemList.map((i) => i.itemId)).not.toContain(item);
  });

  it('gives a user created by POST /users their segment popularity at once, then after the run', async () => {
    expect(memberBefore.itemList[0]?.source).toBe('popularity:global');
    expect(memberAfterWrite.itemList.map((i) => [i.itemId, i.source])).toEqual(
      segmentOfQuery.itemList.map((i) => [i.itemId, i.source]),
    );
    expect(memberAfterWrite.itemList[0]?.source).toBe('popularity:segment');
    // the run merged the write into users: the published profile still puts them in the segment
    expect((await cf(MEMBER)).itemList[0]?.source).toBe('popularity:segment');
  });

  it('lists an item added by POST /items in its category popularity after the run', async () => {
    const endpoint = /embedded DynamoDB \(dynalite\) on (\S+)/.exec(app.output())?.[1] as string;
    const { doc } = makeDynamoClients(endpoint);
    const tables = defaultTableNames('local');
    const active = await new DynamoPipelineStateStore(doc, { tableName: tables.state }).getActiveVersion(
      'popularity',
    );
    const lists = await new DynamoPopularityStore(doc, {
      tableName: tables.recommendations,
      retentionSeconds: 86_400,
    }).getSegmentLists(active?.version as string, [itemSegmentKey('CATEGORY', category)]);
    expect(lists.get(itemSegmentKey('CATEGORY', category))?.map((i) => i.itemId)).toContain(NEW_ITEM);
  });

  it('rejects a POST /items batch with one bad property, naming its index and field', async () => {
    const res = await postJson('/items', {
      items: [0, 1, 2, 3].map((n) => ({
        itemId: `loop-e2e-bad-${n}`,
        properties: { CATEGORY: n === 3 ? {} : 'x' },
      })),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(responseErrors('POST', '/items', 400, body)).toBe('');
    expect(body.message).toContain('items[3].properties.CATEGORY');
  });

  it('rejects a start with an unknown field, naming it', async () => {
    const res = await fetch(`${app.url}/admin/pipeline/runs`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ machine: 'scoring', hpoo: true }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('hpoo');
  });

  it('protects the pipeline routes with the admin token', async () => {
    expect((await fetch(`${app.url}/admin/pipeline/runs`)).status).toBe(401);
  });
});
