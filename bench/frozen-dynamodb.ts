/**
 * How long each route takes to answer while DynamoDB is frozen (accepts connections, never answers),
 * with the default deadlines (DYNAMODB_TIMEOUT_MS, DYNAMODB_MAX_ATTEMPTS, REQUEST_BUDGET_MS,
 * HEALTH_TIMEOUT_MS). The local API Gateway adapter and the deployed handler modules, over real HTTP,
 * against dynalite behind a TCP proxy that freezes (tests/helpers/freezable-proxy.ts).
 *   npx tsx bench/frozen-dynamodb.ts
 */
import '../shared/polyfills.js';
import { makeDynamoClients } from '../shared/adapters/dynamodb/clients.js';
import { DynamoNgItemStore } from '../shared/adapters/dynamodb/ng-item-store.js';
import { DynamoPipelineStateStore } from '../shared/adapters/dynamodb/pipeline-state-store.js';
import { DynamoPopularityStore } from '../shared/adapters/dynamodb/popularity-store.js';
import { defaultTableNames, LOGICAL_TABLES } from '../shared/adapters/dynamodb/tables.js';
import { createTables, startLocalDynamo } from '../shared/adapters/local/dynalite-server.js';
import { startHttpServer } from '../shared/adapters/local/http-server.js';
import { TABLE_ENV } from '../shared/config/config.js';
import { POPULARITY, popularityMetaKey } from '../shared/use-cases/popularity-source.js';
import { startFreezableProxy } from '../tests/helpers/freezable-proxy.js';

const TOKEN = 'bench-frozen-token-0123456';
const dynamo = await startLocalDynamo({ worker: true });
const proxy = await startFreezableProxy(dynamo.endpoint);
const names = defaultTableNames('frozenbench');
const { client, doc } = makeDynamoClients(dynamo.endpoint);
await createTables(client, names);
const items = Array.from({ length: 100 }, (_, i) => ({ itemId: `g${i}`, score: 1 - i / 101 }));
await new DynamoPopularityStore(doc, {
  tableName: names.recommendations,
  retentionSeconds: 3600,
}).putSegmentLists('p1', [{ segment: 'global', items }]);
const state = new DynamoPipelineStateStore(doc, { tableName: names.state });
await state.putRecord(popularityMetaKey('p1'), { segmentColumns: [], lists: 1, createdAt: 0 });
await state.setActiveVersion(POPULARITY, 'p1', undefined);
await new DynamoNgItemStore(doc, { tableName: names.ngItems }).put({ itemId: 'g1', createdAt: 0 });
client.destroy();
Object.assign(process.env, {
  OSUSUME_STAGE: 'frozenbench',
  DYNAMODB_ENDPOINT: proxy.endpoint,
  OSUSUME_ADMIN_TOKEN: TOKEN,
  // every request must go to the table for the NG list and pointers: the worst case
  NG_CACHE_TTL_SECONDS: '0',
  POINTER_CACHE_TTL_SECONDS: '0',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
});
for (const t of LOGICAL_TABLES) process.env[TABLE_ENV[t]] = names[t];
const api = await startHttpServer({ root: process.cwd(), port: 0 });
const auth = { authorization: `Bearer ${TOKEN}` };
const event = (id: string) =>
  JSON.stringify({
    userId: 'u-ev',
    sessionId: 's',
    eventList: [{ eventId: id, eventType: 'view', itemId: 'g2', sentAt: Math.floor(Date.now() / 1000) }],
  });
const routes: [string, string, RequestInit?][] = [
  ['GET /health', '/health'],
  ['GET recommendations (served before)', '/users/u-warm/recommendations?numResults=10'],
  ['GET recommendations (new user)', '/users/u-new-N/recommendations?numResults=10'],
  ['POST /events', '/events', { method: 'POST', body: event('bench-N') }],
  ['PUT /ng-items/{id}', '/ng-items/g9', { method: 'PUT', headers: auth }],
  ['GET /ng-items', '/ng-items?limit=5', { headers: auth }],
  ['GET /reports/ab', '/reports/ab?since=1d', { headers: auth }],
];
let n = 0;
const time = async (path: string, init?: RequestInit) => {
  n++;
  const t = performance.now();
  const res = await fetch(`${api.url}${path.replace('-N', `-${n}`)}`, init);
  const body = (await res.json()) as { code?: string; degraded?: boolean };
  return {
    ms: performance.now() - t,
    status: res.status,
    note: body.code ?? (body.degraded ? 'degraded' : ''),
  };
};
for (const [, path, init] of routes) await time(path, init); // warm: handlers, connections, caches
console.log(
  'defaults: DYNAMODB_TIMEOUT_MS 1000, DYNAMODB_MAX_ATTEMPTS 3, REQUEST_BUDGET_MS 300, HEALTH_TIMEOUT_MS 500',
);
console.log('| route | answered (DynamoDB up) | answered while frozen |');
console.log('|---|---|---|');
for (const [name, path, init] of routes) {
  proxy.thaw();
  // calls sent into the frozen proxy never get an answer: let them time out before measuring "up"
  await new Promise((r) => setTimeout(r, 3500));
  const up = await time(path, init);
  proxy.freeze();
  const frozen = await time(path, init);
  const fmt = (r: typeof up) => `${r.status}${r.note ? ` ${r.note}` : ''} in ${r.ms.toFixed(0)} ms`;
  console.log(`| ${name} | ${fmt(up)} | ${fmt(frozen)} |`);
}
await api.close();
await proxy.close();
await dynamo.stop();
