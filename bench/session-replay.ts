/**
 * End-to-end next-item accuracy over HTTP (issue 15, targets): the yoochoose dev split's `_train_tr`
 * becomes a dataset folder (SESSION_ID column); the `session` registry entry is trained on it as the
 * nightly does (default options, seed 42; its trainer tunes on a validation split carved from the
 * training part, never on the test file), then
 *  1. offline: the next-item protocol on `_train_valid` in-process (every position of every test session,
 *     HR@20 / MRR@20 with 95 % intervals over sessions), both repeat policies;
 *  2. end to end: `osusume start --data` on that folder (its own nightly trains and publishes the same
 *     model), every test click sent to `POST /events` (anonymous: sessionId only), and after each click
 *     `GET /sessions/{sessionId}/recommendations?arm=session&numResults=20&repeat=allow|exclude`;
 * and prints both with the session-rec baselines of ../shared/data/SESSION_ANCHORS.md. Times are shifted
 * so that the test day ends now (events must be within the retention).
 * Usage: npx tsx bench/session-replay.ts [--data DIR] [--sessions N] [--concurrency N] [--start-timeout S]
 * (how long `osusume start` may take to train and listen, default 900 s; a loaded machine needs more)
 */
import '../shared/polyfills.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get as httpGet, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAlgorithm, trainEntry } from '../shared/domain/algorithms/registry.js';
import { SessionArmModel } from '../shared/domain/algorithms/session-knn/session-arm.js';
import { type RepeatPolicy, scoreSession } from '../shared/domain/algorithms/session-knn/session-knn.js';
import { loadDataset } from '../shared/domain/data/loader.js';
import { clusteredRate, evaluateNextItem, type TestSession } from '../shared/domain/evaluation/next-item.js';
import { startOsusume } from '../tests/helpers/start-process.js';

const flag = (name: string, fallback: string) => {
  const k = process.argv.indexOf(name);
  return k > 0 ? process.argv[k + 1] : fallback;
};
const int = (name: string, fallback: number) => {
  const v = Number(flag(name, String(fallback)));
  if (!Number.isInteger(v) || v < 0) {
    console.error(`${name} must be a non-negative integer`);
    process.exit(2);
  }
  return v;
};
const DATA = flag('--data', join(import.meta.dirname, '../../shared/data/yoochoose-rsc15-100k-dev'));
const MAX_SESSIONS = int('--sessions', 0);
const CONCURRENCY = int('--concurrency', 4);
const START_TIMEOUT_S = int('--start-timeout', 900);
const K = 20;
const EVENT_TYPE = 'view';

interface Click {
  session: string;
  item: string;
  time: number;
}
function readClicks(file: string): Click[] {
  const lines = readFileSync(join(DATA, file), 'utf8').split('\n');
  const out: Click[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const [session, item, time] = lines[i].split('\t');
    const t = Number(time);
    if (session === undefined || item === undefined || !Number.isFinite(t)) {
      console.error(`${join(DATA, file)}:${i + 1}: not "SessionId<TAB>ItemId<TAB>Time"`);
      process.exit(1);
    }
    out.push({ session, item, time: t });
  }
  return out;
}

const train = readClicks('yoochoose-clicks-100k_train_tr.txt');
const testClicks = readClicks('yoochoose-clicks-100k_train_valid.txt');
// the test day ends two minutes ago; training keeps its distance to it
const shift = Date.now() / 1000 - 120 - Math.max(...testClicks.map((c) => c.time));
// session-rec data has no users: each session is its own USER_ID (as `osusume import session-rec` does)
const dataDir = mkdtempSync(join(tmpdir(), 'osusume-replay-data-'));
writeFileSync(
  join(dataDir, 'interactions.csv'),
  `USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,SESSION_ID\n${train.map((c) => `${c.session},${c.item},${(c.time + shift).toFixed(3)},${EVENT_TYPE},${c.session}`).join('\n')}\n`,
);
const dataset = await loadDataset(dataDir);

const bySession = new Map<string, Click[]>();
for (const c of testClicks) {
  const list = bySession.get(c.session) ?? [];
  list.push(c);
  bySession.set(c.session, list);
}
let sessions = [...bySession.entries()].filter(([, cs]) => cs.length >= 2);
if (MAX_SESSIONS > 0) sessions = sessions.slice(0, MAX_SESSIONS);
const test: TestSession[] = sessions.map(([, cs]) => ({
  events: cs.map((c) => ({ itemId: c.item, eventType: EVENT_TYPE, timestamp: c.time + shift })),
}));

let t = performance.now();
// what the nightly's TrainSession state runs: the registry entry, default options, the run's seed 42
const arm = trainEntry(getAlgorithm('session'), dataset, undefined, 42);
if (!(arm instanceof SessionArmModel))
  throw new Error('the session entry no longer trains a SessionArmModel');
const model = arm.knn;
console.log(
  `# Session replay: ${dataset.sessions?.size ?? 0} training sessions, ${test.length} test sessions; trained in ${((performance.now() - t) / 1000).toFixed(0)} s; parameters ${JSON.stringify(model.params)}`,
);

const offline = new Map<RepeatPolicy, ReturnType<typeof evaluateNextItem>>();
for (const policy of ['allow', 'exclude'] as const)
  offline.set(
    policy,
    evaluateNextItem(
      'session-knn',
      test,
      (prefix, k, p) => scoreSession(model, prefix, { k, repeat: p }).map((x) => x.itemId),
      { k: K, policy },
    ),
  );

function call(
  agent: Agent,
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  body?: string,
) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const done = (res: import('node:http').IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    };
    if (method === 'GET') httpGet(url, { agent, headers }, done).on('error', reject);
    else {
      const req = httpRequest(
        url,
        { agent, method, headers: { ...headers, 'content-type': 'application/json' } },
        done,
      );
      req.on('error', reject);
      req.end(body);
    }
  });
}

const token = 'replay-admin-token-0123456789';
t = performance.now();
const app = await startOsusume(
  ['--data', dataDir],
  {
    OSUSUME_ADMIN_TOKEN: token,
    // the gate compares tiny nightly models with noisy figures: it must not hold the session model back
    QUALITY_GATE_MARGIN: '1',
    // every click of a session counts (the offline protocol sees the whole prefix), read fresh each time
    SESSION_RECENT_EVENTS: '100',
    SESSION_EVENTS_CACHE_MS: '0',
    // a loaded machine must not turn answers into the degraded fallback
    REQUEST_BUDGET_MS: '10000',
  },
  START_TIMEOUT_S * 1000,
);
console.log(
  `osusume start --data: serving after ${((performance.now() - t) / 1000).toFixed(0)} s (its own nightly trained the models)`,
);
const online = new Map<RepeatPolicy, { hits: Float64Array; rr: Float64Array; n: Float64Array }>();
let degraded = 0;
let failures = 0;
let requests = 0;
try {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const headers = { 'x-api-key': app.appKey, authorization: `Bearer ${token}` };
  // one session request starts the model load (requests never wait for it); then give it time
  await call(agent, 'GET', `${app.url}/sessions/warm-up/recommendations?arm=session`, headers);
  await new Promise((r) => setTimeout(r, 5000));
  for (const policy of ['allow', 'exclude'] as const)
    online.set(policy, {
      hits: new Float64Array(test.length),
      rr: new Float64Array(test.length),
      n: new Float64Array(test.length),
    });
  let next = 0;
  const worker = async () => {
    for (let s = next++; s < test.length; s = next++) {
      const ev = test[s].events;
      const sessionId = `replay-${sessions[s][0]}`;
      for (let p = 0; p < ev.length; p++) {
        const body = JSON.stringify({
          sessionId,
          eventList: [
            {
              eventId: `${sessionId}-${p}`,
              eventType: EVENT_TYPE,
              itemId: ev[p].itemId,
              sentAt: ev[p].timestamp,
            },
          ],
        });
        const posted = await call(agent, 'POST', `${app.url}/events`, headers, body);
        requests++;
        if (posted.status !== 200) failures++;
        if (p === ev.length - 1) break;
        for (const policy of ['allow', 'exclude'] as const) {
          const got = await call(
            agent,
            'GET',
            `${app.url}/sessions/${encodeURIComponent(sessionId)}/recommendations?arm=session&numResults=${K}&repeat=${policy}`,
            headers,
          );
          requests++;
          const acc = online.get(policy)!;
          acc.n[s]++;
          if (got.status !== 200) {
            failures++;
            continue;
          }
          const r = JSON.parse(got.body) as { itemList: { itemId: string }[]; degraded: boolean };
          if (r.degraded) degraded++;
          const rank = r.itemList.findIndex((i) => i.itemId === ev[p + 1].itemId);
          if (rank >= 0) {
            acc.hits[s]++;
            acc.rr[s] += 1 / (rank + 1);
          }
        }
      }
    }
  };
  t = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, CONCURRENCY) }, worker));
  console.log(
    `replayed ${requests} requests over HTTP in ${((performance.now() - t) / 1000).toFixed(0)} s; non-200 ${failures}, degraded ${degraded}`,
  );
  agent.destroy();
} finally {
  await app.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const anchors: Record<RepeatPolicy, string> = {
  allow: 'V-STAN 0.6530 / 0.3682',
  exclude: 'V-STAN 0.3143 / 0.1515',
};
const f = (r: { value: number; low: number; high: number }) =>
  `${r.value.toFixed(4)} [${r.low.toFixed(4)}, ${r.high.toFixed(4)}]`;
console.log(`\n## Next-item HR@${K} / MRR@${K} on _train_valid (95 % intervals over sessions)`);
console.log(
  '| policy | offline HR@20 | offline MRR@20 | over HTTP HR@20 | over HTTP MRR@20 | HTTP inside offline interval | best session-rec baseline (HR / MRR) |',
);
console.log('|---|---|---|---|---|---|---|');
for (const policy of ['allow', 'exclude'] as const) {
  const off = offline.get(policy)!;
  const on = online.get(policy)!;
  const hr = clusteredRate(on.hits, on.n);
  const mrr = clusteredRate(on.rr, on.n);
  const inside =
    hr.value >= off.hr.low &&
    hr.value <= off.hr.high &&
    mrr.value >= off.mrr.low &&
    mrr.value <= off.mrr.high;
  console.log(
    `| ${policy} | ${f(off.hr)} | ${f(off.mrr)} | ${f(hr)} | ${f(mrr)} | ${inside ? 'yes' : 'no'} | ${anchors[policy]} |`,
  );
}
