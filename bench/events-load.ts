/**
 * Events ingestion load test (issue 6). Starts `osusume start` (embedded DynamoDB) on a small generated
 * shop, posts ≥ 100k events to POST /events with a pool of concurrent clients, including deliberate
 * resends of earlier batches (same eventIds) and malformed requests, then reads the events table back
 * and checks: every unique event stored, none twice, none from a rejected batch, every malformed
 * request answered 400. Prints events/s and latency percentiles.
 * Usage: npx tsx bench/events-load.ts [--events 100000] [--concurrency 64]
 */
import '../shared/polyfills.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { makeDynamoClients } from '../shared/adapters/dynamodb/clients.js';
import { writeShop } from '../shared/domain/data/generator.js';
import { Rng } from '../shared/domain/random.js';
import { startOsusume } from '../tests/helpers/start-process.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TOTAL_EVENTS = arg('events', 100_000);
const CONCURRENCY = arg('concurrency', 64);
const BATCH = 10;
const DUPLICATE_SHARE = 0.05;
const MALFORMED_SHARE = 0.02;

const pct = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

type Job = { kind: 'new' | 'duplicate' | 'malformed'; body: string; events: number };

function buildJobs(rng: Rng): { jobs: Job[]; unique: number } {
  const types = ['view', 'view', 'view', 'favorite', 'cart', 'purchase'];
  const fresh: string[] = [];
  let unique = 0;
  const now = Math.floor(Date.now() / 1000);
  for (let b = 0; unique < TOTAL_EVENTS; b++) {
    const n = Math.min(BATCH, TOTAL_EVENTS - unique);
    const userId = `u${String(rng.int(300) + 1).padStart(6, '0')}`;
    const eventList = Array.from({ length: n }, (_, k) => ({
      eventId: `load-${b}-${k}`,
      eventType: types[rng.int(types.length)],
      itemId: `i${String(rng.int(200) + 1).padStart(6, '0')}`,
      sentAt: now - rng.int(3600),
    }));
    unique += n;
    fresh.push(JSON.stringify({ userId, sessionId: `s-${b}`, eventList }));
  }
  const jobs: Job[] = fresh.map((body) => ({
    kind: 'new',
    body,
    events: (JSON.parse(body) as { eventList: [] }).eventList.length,
  }));
  const dups = Math.round(fresh.length * DUPLICATE_SHARE);
  for (let d = 0; d < dups; d++) {
    const body = fresh[rng.int(fresh.length)];
    jobs.push({ kind: 'duplicate', body, events: (JSON.parse(body) as { eventList: [] }).eventList.length });
  }
  const bad = Math.round(fresh.length * MALFORMED_SHARE);
  const breakers: ((e: Record<string, unknown>) => void)[] = [
    (e) => (e.eventType = 'hover'),
    (e) => (e.sentAt = 'not a date'),
    (e) => (e.sentAt = Math.floor(Date.now() / 1000) + 86_400),
    (e) => (e.itemId = ''),
    (e) => delete e.eventId,
    (e) => (e.properties = '{broken'),
  ];
  for (let m = 0; m < bad; m++) {
    // a valid-looking batch with one bad event: nothing of it may be stored
    const eventList: Record<string, unknown>[] = Array.from({ length: 5 }, (_, k) => ({
      eventId: `bad-${m}-${k}`,
      eventType: 'view',
      itemId: 'i000001',
      sentAt: Math.floor(Date.now() / 1000),
    }));
    breakers[m % breakers.length](eventList[rng.int(5)]);
    jobs.push({
      kind: 'malformed',
      body: JSON.stringify({ userId: 'u000001', sessionId: 'bad', eventList }),
      events: 5,
    });
  }
  // shuffle so duplicates and malformed requests interleave with the load (and race their originals)
  for (let i = jobs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [jobs[i], jobs[j]] = [jobs[j], jobs[i]];
  }
  return { jobs, unique };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'osusume-events-load-'));
  await writeShop({ seed: 5, users: 300, items: 200 }, join(dir, 'shop'));
  const app = await startOsusume(['--data', join(dir, 'shop')], {
    OSUSUME_ADMIN_TOKEN: 'bench-token-0123456789',
  });
  const endpoint = /embedded DynamoDB \(dynalite\) on (http:\/\/\S+)/.exec(app.output())?.[1];
  try {
    const { jobs, unique } = buildJobs(new Rng(1));
    const latencies = new Float64Array(jobs.length);
    const status = {
      new: new Map<number, number>(),
      duplicate: new Map<number, number>(),
      malformed: new Map<number, number>(),
    };
    let reportedDuplicates = 0;
    let reportedStored = 0;
    let resends = 0;
    let next = 0;
    let done = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < jobs.length) {
        const i = next++;
        const job = jobs[i];
        const s = performance.now();
        let res: Response | undefined;
        let body: { stored?: number; duplicates?: string[] } = {};
        // a connection reset leaves the outcome unknown: resend, as a client should (POST /events is idempotent)
        for (let attempt = 1; !res; attempt++) {
          try {
            res = await app.appFetch('/events', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: job.body,
            });
            body = (await res.json()) as typeof body;
          } catch (err) {
            res = undefined;
            if (attempt >= 5) throw err;
            resends++;
          }
        }
        latencies[i] = performance.now() - s;
        status[job.kind].set(res.status, (status[job.kind].get(res.status) ?? 0) + 1);
        if (res.status === 200) {
          reportedStored += body.stored ?? 0;
          reportedDuplicates += body.duplicates?.length ?? 0;
        }
        if (++done % 2000 === 0) process.stderr.write(`\r${done}/${jobs.length} requests`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const secs = (performance.now() - t0) / 1000;
    process.stderr.write('\n');
    const posted = jobs.reduce((s, j) => s + j.events, 0);
    const sorted = Float64Array.from(latencies).sort();

    // read back: every timeline item (kind 'ev') of the events table
    const { client, doc } = makeDynamoClients(endpoint);
    const counts = new Map<string, number>();
    let start: Record<string, unknown> | undefined;
    const r0 = performance.now();
    do {
      const out = await doc.send(
        new ScanCommand({
          TableName: 'osusume-local-events',
          FilterExpression: '#k = :ev',
          ExpressionAttributeNames: { '#k': 'kind' },
          ExpressionAttributeValues: { ':ev': 'ev' },
          ProjectionExpression: 'eventId',
          ExclusiveStartKey: start,
        }),
      );
      for (const it of out.Items ?? [])
        counts.set(it.eventId as string, (counts.get(it.eventId as string) ?? 0) + 1);
      start = out.LastEvaluatedKey;
    } while (start);
    client.destroy();
    const storedDistinct = [...counts.keys()].filter((id) => id.startsWith('load-')).length;
    const twice = [...counts.values()].filter((c) => c > 1).length;
    const fromBad = [...counts.keys()].filter((id) => id.startsWith('bad-')).length;
    const fmt = (m: Map<number, number>) => [...m].map(([k, v]) => `${k}×${v}`).join(' ');

    console.log(
      `events load: ${jobs.length} requests (${posted} events) at concurrency ${CONCURRENCY} in ${secs.toFixed(1)} s`,
    );
    console.log(
      `  throughput   ${(posted / secs).toFixed(0)} events/s posted, ${(jobs.length / secs).toFixed(0)} requests/s`,
    );
    console.log(
      `  latency ms   p50 ${pct(sorted, 50).toFixed(1)}  p90 ${pct(sorted, 90).toFixed(1)}  p99 ${pct(sorted, 99).toFixed(1)}  max ${sorted[sorted.length - 1].toFixed(1)}`,
    );
    console.log(
      `  statuses     new: ${fmt(status.new)}; resent: ${fmt(status.duplicate)}; malformed: ${fmt(status.malformed)}`,
    );
    console.log(
      `  API said     ${reportedStored} stored, ${reportedDuplicates} duplicates; ${resends} requests resent after a connection error`,
    );
    console.log(
      `  table        ${storedDistinct}/${unique} unique events stored, ${twice} stored twice, ${fromBad} from malformed batches (read back in ${((performance.now() - r0) / 1000).toFixed(1)} s)`,
    );
    const ok =
      storedDistinct === unique &&
      twice === 0 &&
      fromBad === 0 &&
      reportedStored === unique &&
      status.malformed.get(400) === jobs.filter((j) => j.kind === 'malformed').length &&
      (status.new.get(200) ?? 0) + (status.duplicate.get(200) ?? 0) ===
        jobs.filter((j) => j.kind !== 'malformed').length;
    console.log(
      `  verdict      ${ok ? 'OK: nothing lost, no duplicates, every malformed request answered 400' : 'FAILED'}`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await app.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
