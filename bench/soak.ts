/**
 * Soak of `osusume start` (issue 12, item 10): launched as `npm start` launches it (same Node flags, embedded
 * DynamoDB on a worker thread of the same process), then a bounded number of GET recommendations with
 * numResults=500 and impressions on (every list recorded), a pool of keep-alive clients against 127.0.0.1.
 * Prints the RSS of the whole server process (/proc/<pid>/status, so dynalite's worker thread and LevelDB's
 * native memory are included) after a warm-up, every --every requests, at the end and after --idle seconds
 * idle, plus the size of the stored impression flushes. Flat = end RSS within 20 % of the warm RSS; otherwise
 * the exit code is 1. Stops early (and fails) if RSS passes --max-rss-mb, so a leak cannot eat the machine.
 * Usage: npx tsx bench/soak.ts [--requests 50000] [--concurrency 8] [--warmup 2000] [--every 5000]
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
const WARMUP = arg('warmup', 2_000);
const EVERY = Math.max(1, arg('every', 5_000));
const IDLE_S = arg('idle', 60);
const MAX_RSS_MB = arg('max-rss-mb', 3_000);
const NUM_RESULTS = 500;
const SHOP_USERS = 2_000; // the generated sample shop `osusume start` serves

/** Resident set of the whole process, MB (Linux). */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

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
  const readyMb = rssMb(pid);
  let next = 0;
  let non2xx = 0;
  let errors = 0;
  let aborted = false;
  const samples: { requests: number; rss: number; seconds: number }[] = [];
  /** Sends requests [next, until) from CONCURRENCY clients; samples RSS every EVERY requests. */
  const run = async (until: number, t0: number, sample: boolean) => {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < until && !aborted) {
          const k = next++;
          try {
            const status = await get(agent, app.url + pathOf(k));
            if (status !== 200) non2xx++;
          } catch {
            errors++;
          }
          const done = k + 1 - WARMUP;
          if (sample && done > 0 && done % EVERY === 0) {
            const rss = rssMb(pid);
            samples.push({ requests: done, rss, seconds: (performance.now() - t0) / 1000 });
            if (rss > MAX_RSS_MB) aborted = true;
          }
        }
      }),
    );
  };
  try {
    await run(WARMUP, performance.now(), false);
    const warmMb = rssMb(pid);
    const t0 = performance.now();
    await run(WARMUP + REQUESTS, t0, true);
    const seconds = (performance.now() - t0) / 1000;
    const sent = next - WARMUP;
    const endMb = rssMb(pid);
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const idleMb = rssMb(pid);
    const peakMb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

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

    const ratio = endMb / warmMb;
    console.log(
      `\n## Soak of osusume start: ${sent} requests numResults=${NUM_RESULTS}, impressions on, ${CONCURRENCY} clients`,
    );
    console.log(
      `node ${process.version}; ${(sent / seconds).toFixed(0)} req/s; non-200 ${non2xx}; errors ${errors}`,
    );
    console.log('\n| point | requests | RSS MB |');
    console.log('|---|---|---|');
    console.log(`| ready | 0 | ${readyMb.toFixed(0)} |`);
    console.log(`| after warm-up | ${WARMUP} | ${warmMb.toFixed(0)} |`);
    for (const s of samples)
      console.log(`| +${s.seconds.toFixed(0)} s | ${s.requests} | ${s.rss.toFixed(0)} |`);
    console.log(`| end | ${sent} | ${endMb.toFixed(0)} |`);
    console.log(`| after ${IDLE_S} s idle | ${sent} | ${idleMb.toFixed(0)} |`);
    console.log(`| peak (VmHWM) | | ${peakMb.toFixed(0)} |`);
    if (flushes) console.log(`\n${flushes}`);
    const flat = !aborted && ratio <= 1.2;
    console.log(
      `\nend / after warm-up: ${ratio.toFixed(2)} -> ${flat ? 'flat (within 20 %)' : aborted ? `stopped: RSS passed ${MAX_RSS_MB} MB` : 'NOT flat'}`,
    );
    if (!flat) process.exitCode = 1;
  } finally {
    agent.destroy();
    await app.stop();
  }
}

await main();
