import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeDynamoClients } from '../../shared/adapters/dynamodb/clients.js';
import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import { DynamoPipelineStateStore } from '../../shared/adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from '../../shared/adapters/dynamodb/popularity-store.js';
import { defaultTableNames, LOGICAL_TABLES } from '../../shared/adapters/dynamodb/tables.js';
import {
  createTables,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/adapters/local/dynalite-server.js';
import { startHttpServer } from '../../shared/adapters/local/http-server.js';
import { TABLE_ENV } from '../../shared/config/config.js';
import { POPULARITY, popularityMetaKey } from '../../shared/use-cases/popularity-source.js';
import { startFreezableProxy } from '../helpers/freezable-proxy.js';
import { responseErrors } from '../helpers/openapi.js';
import { items } from '../helpers/request-path.js';
import { ROOT } from '../helpers/start-process.js';

/** The fields of the JSON bodies these tests read. */
interface Body {
  code?: string;
  message?: string;
  degraded?: boolean;
  itemList: { itemId: string }[];
  stored: number;
  duplicates: string[];
}

const TOKEN = 'frozen-dynamodb-token-0123';
const APP_KEY = 'frozen-app-key-0123456789';
// without deadlines these requests hang for good; the test fails on its own timeout well before vitest's
const HANG = 15_000;

/**
 * The request path, POST /events, the admin routes and /health over real HTTP (the local API Gateway
 * adapter and the deployed handler modules) against DynamoDB behind a TCP proxy that can freeze: it
 * keeps accepting connections and never answers, like the frozen table of issue 12.
 */
describe('a frozen DynamoDB (real sockets that never answer)', () => {
  let dynamo: LocalDynamo;
  let proxy: Awaited<ReturnType<typeof startFreezableProxy>>;
  let api: Awaited<ReturnType<typeof startHttpServer>>;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    proxy = await startFreezableProxy(dynamo.endpoint);
    const names = defaultTableNames('frozen');
    const { client, doc } = makeDynamoClients(dynamo.endpoint);
    await createTables(client, names);
    const popularity = new DynamoPopularityStore(doc, {
      tableName: names.recommendations,
      retentionSeconds: 3600,
    });
    const state = new DynamoPipelineStateStore(doc, { tableName: names.state });
    await popularity.putSegmentLists('p1', [{ segment: 'global', items: items('g', 100) }]);
    await state.putRecord(popularityMetaKey('p1'), { segmentColumns: [], lists: 1, createdAt: 0 });
    await state.setActiveVersion(POPULARITY, 'p1', undefined);
    await new DynamoNgItemStore(doc, { tableName: names.ngItems }).put({ itemId: 'g1', createdAt: 0 });
    client.destroy();
    Object.assign(process.env, {
      OSUSUME_STAGE: 'frozen',
      DYNAMODB_ENDPOINT: proxy.endpoint,
      OSUSUME_ADMIN_TOKEN: TOKEN,
      OSUSUME_APP_KEYS: `frozen=${APP_KEY}`,
      // every request reads the NG list and the pointers again, so a frozen table is always in the way
      NG_CACHE_TTL_SECONDS: '0',
      POINTER_CACHE_TTL_SECONDS: '0',
      // generous enough that answers while DynamoDB is up never depend on the machine's load
      DYNAMODB_TIMEOUT_MS: '1000',
      DYNAMODB_MAX_ATTEMPTS: '2',
      REQUEST_BUDGET_MS: '1000',
      HEALTH_TIMEOUT_MS: '1000',
      IMPRESSION_SAMPLE_RATE: '0',
    });
    for (const t of LOGICAL_TABLES) process.env[TABLE_ENV[t]] = names[t];
    api = await startHttpServer({ root: ROOT, port: 0 });
  }, 60_000);

  afterEach(() => proxy.thaw());

  afterAll(async () => {
    await api?.close();
    await proxy?.close();
    await dynamo?.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${api.url}${path}`, { headers: { 'x-api-key': APP_KEY, ...headers } });
  const recommendations = async (userId: string) => {
    const res = await get(`/users/${userId}/recommendations?numResults=10`);
    return { status: res.status, body: (await res.json()) as Body };
  };

  it('answers GET /health 503 naming DynamoDB while it is frozen, 200 once it answers', {
    timeout: HANG,
  }, async () => {
    expect((await get('/health')).status).toBe(200);
    proxy.freeze();
    const res = await get('/health');
    const body = (await res.json()) as Body;
    expect([res.status, body.code]).toEqual([503, 'DependencyError']);
    expect(body.message).toMatch(/dynamodb/);
    expect(responseErrors('GET', '/health', 503, body)).toBe('');
    proxy.thaw();
    expect((await get('/health')).status).toBe(200);
  });

  it('serves a known user the last good popularity without NG items, degraded, while frozen', {
    timeout: HANG,
  }, async () => {
    const warm = await recommendations('u-warm');
    expect([warm.status, warm.body.degraded]).toEqual([200, false]);
    proxy.freeze();
    const { status, body } = await recommendations('u-warm');
    expect([status, body.degraded]).toEqual([200, true]);
    const ids = body.itemList.map((i) => i.itemId);
    expect(ids).toHaveLength(10);
    expect(ids).not.toContain('g1');
  });

  it('serves a user never seen before from cached popularity, degraded, while frozen', {
    timeout: HANG,
  }, async () => {
    await recommendations('u-other'); // the process has served someone: popularity is cached
    proxy.freeze();
    const { status, body } = await recommendations('u-cold-1');
    expect([status, body.degraded, body.itemList.length]).toEqual([200, true, 10]);
  });

  it('answers POST /events with 503 {code, message} while frozen, and stores the resend after', {
    timeout: HANG,
  }, async () => {
    const batch = {
      userId: 'u-ev',
      sessionId: 's',
      eventList: [
        { eventId: 'frozen-e1', eventType: 'view', itemId: 'g2', sentAt: Math.floor(Date.now() / 1000) },
      ],
    };
    const post = () =>
      fetch(`${api.url}/events`, {
        method: 'POST',
        body: JSON.stringify(batch),
        headers: { 'content-type': 'application/json', 'x-api-key': APP_KEY },
      });
    proxy.freeze();
    const res = await post();
    const body = (await res.json()) as Body;
    expect([res.status, body.code]).toEqual([503, 'DependencyError']);
    proxy.thaw();
    const again = await post();
    expect(again.status).toBe(200);
    const stored = (await again.json()) as Body;
    expect(stored.stored + stored.duplicates.length).toBe(1);
  });

  it('answers the admin routes with 503 {code, message} while frozen', { timeout: HANG }, async () => {
    proxy.freeze();
    const auth = { authorization: `Bearer ${TOKEN}` };
    const put = await fetch(`${api.url}/ng-items/g9`, { method: 'PUT', headers: auth });
    const list = await get('/ng-items?limit=5', auth);
    const bodies = [(await put.json()) as Body, (await list.json()) as Body];
    expect([put.status, list.status]).toEqual([503, 503]);
    expect(bodies.map((b) => b.code)).toEqual(['DependencyError', 'DependencyError']);
  });
});
