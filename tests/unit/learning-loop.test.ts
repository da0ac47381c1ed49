import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../shared/adapters/local/local-stack.js';
import type { RunContext } from '../../shared/pipeline/nightly.js';
import { ROOT } from '../helpers/start-process.js';

// The loop from POST /events to the next nightly run: the real handler exports to the artifact folder,
// the real scoring state machine merges the export in Prepare and trains on it, against dynalite.
const OPTIONS = {
  shardUsers: 1000,
  numResults: 10,
  trainOptions: { fm: { epochs: 2, factors: 8, validationFraction: 0 } },
};

let stack: LocalStack;
let tmp: string;
let deps: import('../../shared/pipeline/pipeline-container.js').PipelineDeps;
let postEvents: (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;
let putItems: (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;
let runNightly: () => Promise<{ version: string; run: RunContext }>;

const NEW_USER = 'loop-new-user';
let user: string;
let bought: string[];
let copied: string[];
/** An item nobody bought with the user's purchases until the co-buyers below: absent from the first list. */
let coBought: string;
let firstList: string[];
const CO_BUYERS = 20;

/** POST /events through the deployed handler module, as API Gateway invokes it. */
async function post(body: unknown): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const res = (await postEvents(
    {
      version: '2.0',
      routeKey: 'POST /events',
      rawPath: '/events',
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      requestContext: { http: { method: 'POST', path: '/events' } },
      body: JSON.stringify(body),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2,
    { awsRequestId: 'test', functionName: 'post-events' } as Context,
  )) as { statusCode: number; body: string };
  return { statusCode: res.statusCode, body: JSON.parse(res.body) };
}

const purchases = (userId: string, items: string[], prefix: string) => ({
  userId,
  sessionId: `${userId}-s1`,
  eventList: items.map((itemId, i) => ({
    eventId: `${prefix}-${i}`,
    eventType: 'purchase',
    itemId,
    sentAt: Date.now() / 1000 - 60 + i,
  })),
});

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'osusume-loop-'));
  process.env.ARTIFACT_DIR = join(tmp, 'artifacts');
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  // the posted events move the tiny FM's offline metrics by more than the gate's 5 %: this test is about
  // the loop (the gate has its own tests in nightly-pipeline.test.ts)
  process.env.QUALITY_GATE_MARGIN = '1';
  const { startLocalStack } = await import('../../shared/adapters/local/local-stack.js');
  stack = await startLocalStack({ users: 240, items: 150, seed: 11 });
  const { runLocalPipeline } = await import('../../shared/adapters/local/local-pipeline.js');
  deps = (await import('../../shared/pipeline/pipeline-container.js')).getPipelineDeps();
  ({ handler: postEvents } = (await import('../../functions/api/post-events.js')) as never);
  ({ handler: putItems } = (await import('../../functions/api/put-items.js')) as never);
  runNightly = async () => {
    const r = await runLocalPipeline({
      root: ROOT,
      machine: 'scoring',
      input: { data: stack.dataDir, options: OPTIONS },
      retryMs: 1,
    });
    if (r.status !== 'SUCCEEDED') throw new Error(`${r.error}: ${r.cause}`);
    const version = (r.output as { version: string }).version;
    const run = await deps.state.getRecord<RunContext>(`run#${version}`);
    return { version, run: run as RunContext };
  };
  const first = await runNightly();
  user = stack.dataset.users.ids[0] as string;
  const list = await deps.recommendations.getUserList('cf', first.version, user);
  bought = (list ?? []).slice(0, 3).map((s) => s.itemId);
  firstList = (list ?? []).map((s) => s.itemId);
  // the new user buys what the most active user bought: CF has neighbours for those items
  const counts = new Map<number, number>();
  for (const u of stack.dataset.interactions.user) counts.set(u, (counts.get(u) ?? 0) + 1);
  const heavy = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] as number;
  const items = new Set<string>();
  const ia = stack.dataset.interactions;
  for (let k = 0; k < ia.length; k++)
    if (ia.user[k] === heavy) items.add(stack.dataset.items.ids[ia.item[k] as number] as string);
  copied = [...items].slice(0, 8);
  // the least interacted item outside every list above
  const itemCounts = new Map<number, number>();
  for (const i of ia.item) itemCounts.set(i, (itemCounts.get(i) ?? 0) + 1);
  const taken = new Set([...firstList, ...copied]);
  coBought = [...itemCounts.entries()]
    .sort((a, b) => a[1] - b[1])
    .map(([i]) => stack.dataset.items.ids[i] as string)
    .find((id) => !taken.has(id)) as string;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('events posted today train the next nightly run', () => {
  let second: { version: string; run: RunContext };

  beforeAll(async () => {
    expect((await post(purchases(user, bought, 'loop-a'))).statusCode).toBe(200);
    // a resend of the same eventIds (the client did not see the answer): stored once, exported again
    const resent = await post(purchases(user, bought, 'loop-a'));
    expect(resent.body.duplicates).toHaveLength(bought.length);
    expect((await post(purchases(NEW_USER, copied, 'loop-b'))).statusCode).toBe(200);
    // shoppers who bought what the user bought, together with coBought
    for (let c = 0; c < CO_BUYERS; c++)
      expect((await post(purchases(`loop-co-${c}`, [...bought, coBought], `loop-co-${c}`))).statusCode).toBe(
        200,
      );
    const item = (await putItems(
      {
        version: '2.0',
        routeKey: 'POST /items',
        rawPath: '/items',
        rawQueryString: '',
        headers: { 'content-type': 'application/json' },
        requestContext: { http: { method: 'POST', path: '/items' } },
        body: JSON.stringify({ items: [{ itemId: 'loop-item', properties: { CATEGORY: 'loop-category' } }] }),
        isBase64Encoded: false,
      } as unknown as APIGatewayProxyEventV2,
      { awsRequestId: 'test', functionName: 'put-items' } as Context,
    )) as { statusCode: number };
    expect(item.statusCode).toBe(200);
    second = await runNightly();
  }, 180_000);

  it('exports every accepted event to the artifact folder under its day partition', async () => {
    const keys = await deps.artifacts.list('events/');
    const day = new Date().toISOString().slice(0, 10);
    expect(keys.length).toBe(3 + CO_BUYERS);
    expect(keys.every((k) => k.startsWith(`events/dt=${day}/`))).toBe(true);
  });

  it('merges the live items writes into the snapshot and records the columns they are checked against', async () => {
    expect(second.run.catalog?.items).toMatchObject({ read: 1, merged: 1, malformed: 0, parts: 1 });
    expect(await deps.state.getRecord('dataset-columns')).toMatchObject({
      users: expect.arrayContaining(['GENDER', 'AGE_GROUP']),
      items: expect.arrayContaining(['CATEGORY']),
    });
  });

  it('merges each eventId once, however often it was exported', () => {
    expect(second.run.events).toMatchObject({
      read: 2 * bought.length + copied.length + (bought.length + 1) * CO_BUYERS,
      merged: bought.length + copied.length + (bought.length + 1) * CO_BUYERS,
      duplicates: bought.length,
      malformed: 0,
    });
  });

  it('trains a resent purchase once', async () => {
    const parts = await deps.artifacts.list(`${second.run.snapshot}/events-`);
    const rows = (await Promise.all(parts.map((k) => readFile(deps.artifacts.uri(k), 'utf8'))))
      .join('')
      .split('\n')
      .filter((l) => l.includes(',loop-a-'));
    expect(rows).toHaveLength(bought.length);
    expect(second.run.interactions).toBe(
      stack.dataset.interactions.length + bought.length + copied.length + (bought.length + 1) * CO_BUYERS,
    );
  });

  it('no longer recommends what the user bought since the last run', async () => {
    const list = await deps.recommendations.getUserList('cf', second.version, user);
    expect(list?.length).toBe(OPTIONS.numResults);
    for (const item of bought) expect(list?.map((s) => s.itemId)).not.toContain(item);
  });

  it("raises what others bought together with the user's purchase into their list", async () => {
    expect(firstList).not.toContain(coBought);
    const list = await deps.recommendations.getUserList('cf', second.version, user);
    expect(list?.map((s) => s.itemId)).toContain(coBought);
  });

  it('gives a user known only from posted events their own CF list', async () => {
    const list = await deps.recommendations.getUserList('cf', second.version, NEW_USER);
    expect(list?.length).toBe(OPTIONS.numResults);
    for (const item of copied) expect(list?.map((s) => s.itemId)).not.toContain(item);
  });
});
