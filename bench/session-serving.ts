/**
 * Session serving at Lambda scale (issue 15, item 5). On a generated 1M-session × 100k-item session log
 * (Zipf item popularity, sessions that walk neighbouring items and go back to earlier ones about a third of
 * the time) it builds the session kNN model, then prints:
 *  1. the serving artifact: size, and the index's bytes;
 *  2. in-process latency: the session arm's scorer (scoreSession on the published model, sampled neighbour
 *     search) and the whole recommend use case on the session arm (events read, scorer, NG, fill), p50/p99,
 *     both repeat policies;
 *  3. cold init of the request function with the index, in fresh Node processes: importing the bundled
 *     get-recommendations handler (as deployed), then reading + mapping the artifact and the first score;
 *     memory (RSS, heap, array buffers) after it.
 * Usage: npx tsx bench/session-serving.ts [--sessions N] [--items N] [--init-runs N] [--out DIR] [--unbounded]
 *   --out keeps the artifact in DIR (runs/bench-1m/models/session.knn.bin) for bench/request-path.ts --session-index DIR.
 */
import '../shared/polyfills.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { build, type Plugin } from 'esbuild';
import { FolderArtifactStore } from '../shared/adapters/local/folder-artifact-store.js';
import { MemoryEventStore } from '../shared/adapters/memory/event-store.js';
import { MemoryPipelineStateStore } from '../shared/adapters/memory/pipeline-state-store.js';
import { sessionIndexBytes } from '../shared/domain/algorithms/session-knn/session-index.js';
import { DEFAULT_SESSION_KNN_PARAMS } from '../shared/domain/algorithms/session-knn/session-knn.js';
import type { SessionLog } from '../shared/domain/algorithms/session-knn/session-log.js';
import {
  DEFAULT_SESSION_KNN_SETTINGS,
  trainSessionKnnFromLog,
} from '../shared/domain/algorithms/session-knn/train.js';
import type { StoredEvent } from '../shared/domain/events/events.js';
import { Rng } from '../shared/domain/random.js';
import { parseRecommendationRequest } from '../shared/domain/recommend/request.js';
import { serializeSessionKnn } from '../shared/domain/algorithms/session-knn/serialize.js';
import type { CandidateSource } from '../shared/ports/candidates.js';
import { VersionPointers } from '../shared/use-cases/candidate-sources.js';
import { recommend } from '../shared/use-cases/recommend.js';
import { PublishedSessionModel, SessionKnnScorer, sessionKnnKey } from '../shared/use-cases/session-index.js';
import { RecentEventsSessionSource } from '../shared/use-cases/session-source.js';
import { items, memoryDeps, singleArm } from '../tests/helpers/request-path.js';
import { ROOT } from '../tests/helpers/start-process.js';

/** The esbuild plugins serverless.yml builds the functions with (as bench/request-path.ts uses them). */
const lazyBuiltins = createRequire(import.meta.url)('../shared/build/lazy-builtins.cjs') as Plugin[];

/** Wall and CPU (user + system) ms of one call: on the shared VM the wall tail is mostly descheduling. */
async function timed(f: () => Promise<unknown>): Promise<[number, number]> {
  const c = process.cpuUsage();
  const s = performance.now();
  await f();
  const wall = performance.now() - s;
  const u = process.cpuUsage(c);
  return [wall, (u.user + u.system) / 1000];
}
const line = (wall: number[], cpu: number[]) =>
  `wall p50 ${pct(wall, 50).toFixed(3)} ms  p99 ${pct(wall, 99).toFixed(3)} ms; CPU p50 ${pct(cpu, 50).toFixed(3)} ms  p99 ${pct(cpu, 99).toFixed(3)} ms`;

const arg = (name: string, fallback: number) => {
  const k = process.argv.indexOf(name);
  const v = k > 0 ? Number(process.argv[k + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) {
    console.error(`${name} must be a positive integer, got ${process.argv[k + 1]}`);
    process.exit(2);
  }
  return v;
};
const N_SESSIONS = arg('--sessions', 1_000_000);
const N_ITEMS = arg('--items', 100_000);
const INIT_RUNS = arg('--init-runs', 7);
const UNBOUNDED = process.argv.includes('--unbounded');
const outArg = process.argv.indexOf('--out');
const T0 = 1_780_000_000;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;

/** Zipf(1) item draws by inverse CDF over a precomputed table. */
function zipfSampler(n: number, rng: Rng): () => number {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cdf[i] = acc += 1 / (i + 1);
  return () => {
    const r = rng.next() * acc;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * Shop-like sessions: a Zipf-popular entry item, then each click either returns to an earlier item of the
 * session (about a third) or moves to an item "near" the last one (its id ± a few: the catalogue's related
 * items); lengths 1 + geometric (mean ~4.5), sessions spread over 30 days.
 */
function generateLog(nSessions: number, nItems: number, seed: number): SessionLog {
  const rng = new Rng(seed);
  const entry = zipfSampler(nItems, rng);
  const ptr = new Int32Array(nSessions + 1);
  const lens = new Int32Array(nSessions);
  for (let s = 0; s < nSessions; s++) {
    let len = 1;
    while (len < 40 && rng.next() < 0.78) len++;
    lens[s] = len;
    ptr[s + 1] = ptr[s] + len;
  }
  const total = ptr[nSessions];
  const items = new Int32Array(total);
  const times = new Float64Array(total);
  const eventTypes = new Uint16Array(total);
  for (let s = 0; s < nSessions; s++) {
    const start = T0 + (s / nSessions) * 30 * 86400;
    let last = entry();
    for (let p = 0; p < lens[s]; p++) {
      const at = ptr[s] + p;
      let item: number;
      if (p === 0) item = last;
      else if (rng.next() < 0.33) item = items[ptr[s] + rng.int(p)];
      else item = (last + 1 + rng.int(7) + nItems) % nItems;
      items[at] = item;
      times[at] = start + p * 40;
      eventTypes[at] = rng.next() < 0.1 ? 2 : 1;
      last = item;
    }
  }
  return { ptr, items, times, eventTypes, user: new Int32Array(nSessions).fill(-1) };
}

const itemIds = Array.from({ length: N_ITEMS }, (_, i) => `i${String(i).padStart(6, '0')}`);
const eventTypeNames = ['', 'view', 'cart'];

console.log(`# Session serving: ${N_SESSIONS.toLocaleString()} sessions × ${N_ITEMS.toLocaleString()} items`);
let t = performance.now();
const log = generateLog(N_SESSIONS, N_ITEMS, 11);
console.log(
  `generated ${log.items.length.toLocaleString()} clicks in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);
t = performance.now();
// as the nightly trains it (without the parameter search): the serving bound is chosen on a validation
// split carved from the latest training sessions (--unbounded serves the defaults as they are)
const { model, servingWork } = trainSessionKnnFromLog(
  log,
  itemIds,
  eventTypeNames,
  {},
  { tuneBudget: 0, servingWorkBudget: UNBOUNDED ? 0 : DEFAULT_SESSION_KNN_SETTINGS.servingWorkBudget },
);
const index = model.index;
const rules = model.rules;
console.log(
  `trained (validation split, serving bound, index, rules, repeat tables) in ${((performance.now() - t) / 1000).toFixed(1)} s: sampleSize ${model.params.sampleSize}, k ${model.params.k} (defaults ${DEFAULT_SESSION_KNN_PARAMS.sampleSize} / ${DEFAULT_SESSION_KNN_PARAMS.k}); validation work p99 ${servingWork?.p99.toFixed(0)} of the budget ${servingWork?.budget}`,
);
t = performance.now();
const bytes = serializeSessionKnn(model, { includeUsers: false });
const serializeMs = performance.now() - t;

const dir = outArg > 0 ? process.argv[outArg + 1] : mkdtempSync(join(tmpdir(), 'osusume-serving-'));
mkdirSync(dir, { recursive: true });
const artifacts = new FolderArtifactStore(dir);
const VERSION = 'bench-1m';
await artifacts.put(sessionKnnKey(VERSION), bytes);
console.log('\n## Serving artifact');
console.log(
  `size ${mb(bytes.byteLength)} (index arrays ${mb(sessionIndexBytes(index))}, rules ${mb(rules.indices.byteLength * 2 + rules.indptr.byteLength)}), serialised in ${serializeMs.toFixed(0)} ms`,
);

/** Held-out visits: prefixes of freshly generated sessions (same process), newest event first. */
const visits = (() => {
  const fresh = generateLog(2000, N_ITEMS, 99);
  const out: StoredEvent[][] = [];
  for (let s = 0; s < 2000; s++) {
    const from = fresh.ptr[s];
    const to = fresh.ptr[s + 1];
    for (let end = from + 1; end <= to && out.length < 5000; end++) {
      const ev: StoredEvent[] = [];
      for (let p = Math.max(from, end - 10); p < end; p++)
        ev.push({
          eventId: `v${s}-${p}`,
          sessionId: `v${s}`,
          eventType: 'view',
          rawEventType: 'view',
          itemId: itemIds[fresh.items[p]],
          sentAt: (T0 + 31 * 86400 + (p - from) * 40) * 1000,
        });
      out.push(ev.reverse());
    }
  }
  return out;
})();

const state = new MemoryPipelineStateStore();
await state.setActiveVersion('session', VERSION, undefined);
const published = new PublishedSessionModel(new VersionPointers(state, 60_000), artifacts);
t = performance.now();
await published.preload();
console.log(`loaded through PublishedSessionModel (folder) in ${(performance.now() - t).toFixed(0)} ms`);
const scorer = new SessionKnnScorer(published);

console.log(
  `\n## In-process latency (published model, sampleSize ${model.params.sampleSize}, k ${model.params.k}; 5,000 held-out prefixes of ≤ 10 events)`,
);
const servedModel = await published.model();
for (const policy of ['allow', 'exclude'] as const) {
  for (let k = 0; k < 500; k++) await scorer.score(visits[k % visits.length], 20, policy); // warm up
  const wall: number[] = [];
  const cpu: number[] = [];
  const work: number[] = [];
  for (let k = 0; k < visits.length; k++) {
    const [w, c] = await timed(() => scorer.score(visits[k], 20, policy));
    wall.push(w);
    cpu.push(c);
    work.push(servedModel?.lastWork ?? 0);
  }
  console.log(`scorer (scoreSession), repeat=${policy}: ${line(wall, cpu)}`);
  // the serving bound budgets work; this is what one unit costs here
  const nsPerUnit =
    (1e6 * cpu.reduce((a, b) => a + b, 0)) /
    Math.max(
      1,
      work.reduce((a, b) => a + b, 0),
    );
  console.log(
    `  work (index entries read) p50 ${pct(work, 50)} p99 ${pct(work, 99)}; ${nsPerUnit.toFixed(0)} ns CPU per unit on average`,
  );
}

// the whole request on the session arm: the visitor's events from the (memory) events store, the scorer,
// NG removal, the popularity fill and JSON, with 10k NG items
{
  const events = new MemoryEventStore();
  const sessionIds: string[] = [];
  for (let k = 0; k < 1000; k++) {
    await events.putEvents(visits[k * 5]);
    sessionIds.push(visits[k * 5][0].sessionId);
  }
  const precomputed: CandidateSource = { source: 'session', candidates: async () => [] };
  const session = new RecentEventsSessionSource('session', precomputed, events, { recentLimit: 10, scorer });
  const { deps } = await memoryDeps({
    experiments: singleArm('session'),
    segmentLists: [{ segment: 'global', items: items('i0', 500) }],
    ng: itemIds.filter((_, i) => i % 10 === 0),
    sources: { session },
  });
  const full = { ...deps, recentEvents: events, recentLimit: 10 };
  for (const policy of ['allow', 'exclude'] as const) {
    const reqs = sessionIds.map((s) =>
      parseRecommendationRequest(s, { numResults: '20', repeat: policy }, 20),
    );
    const sessionReqs = reqs.map((r, k) => ({ ...r, sessionId: sessionIds[k] }));
    // 3,000 calls, not 300: with 300, V8 was still compiling the route on its pool thread during the timed
    // calls, and process CPU (all threads) put repeat=allow's CPU p99 at 3.3 ms against a wall p99 of 1.1 ms
    for (let k = 0; k < 3000; k++) JSON.stringify((await recommend(full, sessionReqs[k % 1000])).response);
    const wall: number[] = [];
    const cpu: number[] = [];
    let armItems = 0;
    for (let k = 0; k < 5000; k++) {
      const [w, c] = await timed(async () => {
        const { response, diagnostics } = await recommend(full, sessionReqs[k % 1000]);
        JSON.stringify(response);
        armItems += diagnostics.armItems;
      });
      wall.push(w);
      cpu.push(c);
    }
    console.log(
      `recommend on the session route (events read, scorer, 10k NG, fill, JSON), repeat=${policy}: ${line(wall, cpu)}  (goal p99 <= 2 ms; ${(armItems / 5000).toFixed(1)} of 20 items from the arm)`,
    );
  }
}

// cold init in fresh processes: the deployed-style bundle of the handler, then the index
{
  const work = mkdtempSync(join(ROOT, '.bench-serving-'));
  try {
    const probe = join(work, 'probe.ts');
    writeFileSync(
      probe,
      `import { FolderArtifactStore } from '${ROOT}/shared/adapters/local/folder-artifact-store.js';
import { MemoryPipelineStateStore } from '${ROOT}/shared/adapters/memory/pipeline-state-store.js';
import { VersionPointers } from '${ROOT}/shared/use-cases/candidate-sources.js';
import { PublishedSessionModel, SessionKnnScorer } from '${ROOT}/shared/use-cases/session-index.js';
const t0 = performance.now();
await import('${ROOT}/functions/api/get-recommendations.ts');
const t1 = performance.now();
const state = new MemoryPipelineStateStore();
await state.setActiveVersion('session', '${VERSION}', undefined);
const published = new PublishedSessionModel(new VersionPointers(state, 60000), new FolderArtifactStore(process.argv[2]));
await published.preload();
const t2 = performance.now();
const out = await new SessionKnnScorer(published).score([{ eventId: 'e', sessionId: 's', eventType: 'view', rawEventType: 'view', itemId: 'i000042', sentAt: ${(T0 + 32 * 86400) * 1000} }], 20, 'allow');
const t3 = performance.now();
const m = process.memoryUsage();
// machine speed: a fixed loop that takes 117-121 ms when the VM runs at its normal speed (bench/results/request-path.md)
const r0 = performance.now();
let x = 0;
for (let i = 0; i < 3e7; i++) x = (x + i * 7) % 1000003;
const reference = performance.now() - r0 + (x < 0 ? 1 : 0);
console.log(JSON.stringify({ reference, handler: t1 - t0, load: t2 - t1, first: t3 - t2, items: out?.length ?? 0, rss: m.rss, heap: m.heapUsed, buffers: m.arrayBuffers }));
process.exit(0);
`,
    );
    // built as serverless.yml builds the functions: SDK bundled from its ES modules, split, lazy built-ins
    const bundle = join(work, 'out/probe.mjs');
    await build({
      entryPoints: [probe],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      mainFields: ['module', 'main'],
      splitting: true,
      outdir: join(work, 'out'),
      outExtension: { '.js': '.mjs' },
      plugins: lazyBuiltins,
      banner: {
        js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);",
      },
      logLevel: 'error',
    });
    const env = {
      ...process.env,
      TABLE_RECOMMENDATIONS: 'osusume-b-recommendations',
      TABLE_STATE: 'osusume-b-state',
      TABLE_NG_ITEMS: 'osusume-b-ng-items',
      TABLE_USERS: 'osusume-b-users',
      TABLE_EVENTS: 'osusume-b-events',
      AWS_REGION: 'ap-northeast-1',
    };
    const runs: {
      reference: number;
      handler: number;
      load: number;
      first: number;
      items: number;
      rss: number;
      heap: number;
      buffers: number;
    }[] = [];
    for (let k = 0; k < INIT_RUNS; k++)
      runs.push(
        JSON.parse(execFileSync(process.execPath, ['--no-warnings', bundle, dir], { env }).toString()),
      );
    const med = (f: (r: (typeof runs)[number]) => number) => pct(runs.map(f), 50);
    console.log(
      `\n## Cold init with the index (${INIT_RUNS} fresh processes, medians; Node ${process.versions.node}, artifact on local disk)`,
    );
    console.log(
      `handler import ${med((r) => r.handler).toFixed(1)} ms + index read and mapped ${med((r) => r.load).toFixed(1)} ms + first score ${med((r) => r.first).toFixed(1)} ms = ${med((r) => r.handler + r.load + r.first).toFixed(1)} ms  (goal <= 150 ms; ${runs[0].items} items in the first answer)`,
    );
    console.log(
      `reference loop (machine speed; 117-121 ms at normal speed): ${med((r) => r.reference).toFixed(0)} ms`,
    );
    console.log(
      `memory after it: RSS ${mb(med((r) => r.rss))}, JS heap ${mb(med((r) => r.heap))}, array buffers ${mb(med((r) => r.buffers))}`,
    );
    console.log(`artifact read from disk: ${mb(statSync(join(dir, sessionKnnKey(VERSION))).size)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (outArg < 0) rmSync(dir, { recursive: true, force: true });
  }
}
