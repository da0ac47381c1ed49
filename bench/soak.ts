/**
 * Soak of `osusume start` (issue 12, item 10): launched as `npm start` launches it (same Node flags, embedded
 * DynamoDB on a worker thread of the same process), then a bounded number of GET recommendations with
 * numResults=500 and impressions on (every list recorded), from keep-alive clients against 127.0.0.1 only.
 * Samples the memory of the whole server process once a second from /proc/<pid>/status (so dynalite's worker
 * thread and LevelDB's native memory are included): RSS, split into anonymous and file-backed; prints it at
 * ready, after a warm-up, every --every requests, at the end and after --idle seconds idle, plus the size of
 * the stored impression flushes. Flat = the median RSS over the last third of the requests within 20 % of the
 * median over the first third (after the warm-up, long enough for the main V8 heap to reach its working size);
 * otherwise the exit code is 1. Stops early (and fails) once
 * RSS passes --max-rss-mb, so a leak cannot eat the shared machine. Linux only (/proc).
 * Usage: npx tsx bench/soak.ts [--requests 50000] [--concurrency 8] [--warmup 10000] [--every 5000]
 *        [--idle 60] [--max-rss-mb 3000]
 */
import '../shared/polyfills.js';
import { readFileSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { makeDynamoClients } from '../shared/adapters/dynamodb/clients.js';
import { defaultTableNames } from '../shared/adapters/dynamodb/tables.js';
import { startOsusume } from '../tests/helpers/start-process.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${name} must be a non-negative integer, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
};
const REQUESTS = arg('requests', 50_000);
const CONCURRENCY = Math.max(1, arg('concurrency', 8));
const WARMUP = arg('warmup', 10_000);
const EVERY = Math.max(1, arg('every', 5_000));
const IDLE_S = arg('idle', 60);
const MAX_RSS_MB = arg('max-rss-mb', 3_000);
const NUM_RESULTS = 500;
const SHOP_USERS = 2_000; // the generated sample shop `osusume start` serves

/** Memory of the whole process from /proc/<pid>/status, MB: resident, of which anonymous (heaps, malloc) and file-backed. */
function memoryOf(pid: number): { rss: number; anon: number; file: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
    if (!m) throw new Error(`no ${field} for pid ${pid}`);
    return Number(m[1]) / 1024;
  };
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), peak: kb('VmHWM') };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function get(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Four in five requests from the shop's users (spread evenly), one in five from a visitor never seen before. */
const pathOf = (k: number) =>
  k % 5 === 4
    ? `/users/visitor-${k}/recommendations?numResults=${NUM_RESULTS}`
    : `/users/u${String((k * 7919) % SHOP_USERS).padStart(6, '0')}/recommendations?numResults=${NUM_RESULTS}`;

/** DynamoDB's item size: attribute names plus values (strings as UTF-8, numbers approximated by their digits). */
function itemBytes(item: Record<string, unknown>): number {
  let n = 0;
  for (const [k, v] of Object.entries(item))
    n += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : String(v).length);
  return n;
}

async function main(): Promise<void> {
  const app = await startOsusume(
    [],
    { OSUSUME_ADMIN_TOKEN: 'soak-admin-token-0123456789', IMPRESSION_SAMPLE_RATE: '1' },
    180_000,
  );
  const pid = app.child.pid;
  if (pid === undefined) throw new Error('no server pid');
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let exited: string | undefined;
  app.child.once('exit', (code, signal) => {
    exited = `osusume start exited (${signal ?? code}) during the soak:\n${app.output().slice(-4000)}`;
  });
  const ready = memoryOf(pid);
  let next = 0;
  let non2xx = 0;
  let errors = 0;
  let aborted = false;
  // one sample a second: the main thread's V8 heap alone swings by ~150 MB between major GCs at this load,
  // so single readings say little; before/after are the medians over the first and the last third
  const samples: ({ requests: number } & ReturnType<typeof memoryOf>)[] = [];
  const sampler = setInterval(() => {
    if (exited !== undefined || next <= WARMUP) return;
    const m = memoryOf(pid);
    samples.push({ requests: next - WARMUP, ...m });
    if (m.rss > MAX_RSS_MB) aborted = true;
  }, 1000);
  /** Sends requests [next, until) from CONCURRENCY clients. */
  const run = async (until: number) => {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < until && !aborted && exited === undefined) {
          const k = next++;
          try {
            const status = await get(agent, app.url + pathOf(k));
            if (status !== 200) non2xx++;
          } catch {
            errors++;
          }
        }
      }),
    );
  };
  try {
    await run(WARMUP);
    const warm = memoryOf(pid);
    const t1 = performance.now();
    await run(WARMUP + REQUESTS);
    clearInterval(sampler);
    if (exited !== undefined) throw new Error(exited);
    const seconds = (performance.now() - t1) / 1000;
    const sent = next - WARMUP;
    const end = memoryOf(pid);
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const idle = memoryOf(pid);

    // what the impression flushes weigh as stored (one page of the events table's flush items)
    const endpoint = /embedded DynamoDB \(dynalite\) on (http:\/\/\S+)/.exec(app.output())?.[1];
    let flushes = '';
    if (endpoint) {
      const { client, doc } = makeDynamoClients(endpoint);
      const out = await doc.send(
        new ScanCommand({
          TableName: defaultTableNames('local').events,
          FilterExpression: '#k = :k',
          ExpressionAttributeNames: { '#k': 'kind' },
          ExpressionAttributeValues: { ':k': 'imps' },
          Limit: 200,
        }),
      );
      client.destroy();
      const sizes = (out.Items ?? []).map(itemBytes).sort((a, b) => a - b);
      if (sizes.length > 0)
        flushes = `impression flush items (${sizes.length} sampled): median ${(sizes[sizes.length >> 1] / 1024).toFixed(0)} KB, max ${(sizes[sizes.length - 1] / 1024).toFixed(0)} KB`;
    }

    const window = (from: number, to: number) => samples.filter((x) => x.requests > from && x.requests <= to);
    const first = window(0, sent / 3);
    const last = window(sent - sent / 3, sent);
    const before = median(first.map((x) => x.rss));
    const after = median(last.map((x) => x.rss));
    const ratio = after / before;
    const row = (point: string, requests: number | string, m: ReturnType<typeof memoryOf>) =>
      `| ${point} | ${requests} | ${m.rss.toFixed(0)} | ${m.anon.toFixed(0)} | ${m.file.toFixed(0)} |`;
    console.log(
      `\n## Soak of osusume start: ${sent} requests numResults=${NUM_RESULTS}, impressions on, ${CONCURRENCY} clients`,
    );
    console.log(
      `node ${process.version}; ${(sent / seconds).toFixed(0)} req/s over ${seconds.toFixed(0)} s; non-200 ${non2xx}; errors ${errors}`,
    );
    console.log('\n| point | requests | RSS MB | anon MB | file MB |');
    console.log('|---|---|---|---|---|');
    console.log(row('ready', 0, ready));
    console.log(row('after warm-up', `${WARMUP} (not counted)`, warm));
    for (let r = EVERY; r <= sent; r += EVERY) {
      const s = samples.findLast((x) => x.requests <= r);
      if (s) console.log(row(`~${r}`, s.requests, s));
    }
    console.log(row('end', sent, end));
    console.log(row(`after ${IDLE_S} s idle`, sent, idle));
    console.log(`\npeak RSS (VmHWM) ${idle.peak.toFixed(0)} MB; ${samples.length} samples, 1/s`);
    if (flushes) console.log(flushes);
    const flat = !aborted && ratio <= 1.2;
    console.log(
      `median RSS over the first third ${before.toFixed(0)} MB (${first.length} samples), over the last third ${after.toFixed(0)} MB (${last.length}): ${ratio.toFixed(2)} -> ${flat ? 'flat (within 20 %)' : aborted ? `stopped: RSS passed ${MAX_RSS_MB} MB` : 'NOT flat'}`,
    );
    if (!flat) process.exitCode = 1;
  } finally {
    clearInterval(sampler);
    agent.destroy();
    await app.stop();
  }
}

await main();
