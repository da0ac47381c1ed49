/**
 * The event path to training (issue 13): the cost of Prepare's merge of exported events per 1M events, and
 * its memory, next to the Lambda limits, with the plan for a night of 20M events.
 *
 * Writes N exported events (default 1M, 5 % resent) into day partitions of a temp folder as Firehose would
 * (objects of ~2,000 records: a 5-minute buffer of a busy shop), runs mergeExportedEvents (list, read,
 * deduplicate by eventId, write CSV parts) and then loads the parts with the dataset loader, as every later
 * step does. Events/s accepted over HTTP (with the export on, as `npm start` runs it): bench/events-load.ts.
 * Usage: npx tsx bench/event-merge.ts [--events 1000000]
 */
import '../shared/polyfills.js';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FolderArtifactStore } from '../shared/adapters/local/folder-artifact-store.js';
import { loadDatasetFromStreams } from '../shared/domain/data/loader.js';
import type { IdentifiedEvent } from '../shared/domain/events/events.js';
import { exportPartition, exportRecord } from '../shared/domain/events/export.js';
import { Rng } from '../shared/domain/random.js';
import { mergeExportedEvents } from '../shared/pipeline/event-merge.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('events', 1_000_000);
const PER_OBJECT = 2000;
const RESENT = 0.05;
const DAY = 86_400_000;
const LAMBDA = { seconds: 900, mb: 10_240 };
const NIGHT = 20_000_000;

const mb = (b: number) => b / 2 ** 20;
const types = ['view', 'view', 'view', 'view', 'favorite', 'cart', 'purchase'];

async function once(EVENTS: number) {
  const dir = await mkdtemp(join(tmpdir(), 'osusume-merge-bench-'));
  const artifacts = new FolderArtifactStore(dir);
  const rng = new Rng(7);
  const now = Date.now();
  try {
    // ---- write the export: 7 days of partitions, records in arrival order ----
    let t0 = performance.now();
    let objects = 0;
    const recent: IdentifiedEvent[] = [];
    for (let n = 0; n < EVENTS; n += PER_OBJECT) {
      const arrival = now - 7 * DAY + Math.floor((n / EVENTS) * 7 * DAY);
      const lines: string[] = [];
      for (let k = 0; k < PER_OBJECT && n + k < EVENTS; k++) {
        const resend = recent.length > 0 && rng.next() < RESENT;
        const e: IdentifiedEvent = resend
          ? (recent[rng.int(recent.length)] as IdentifiedEvent)
          : {
              eventId: `ev-${n + k}-${rng.int(1e9).toString(36)}`,
              userId: `u${rng.int(1_000_000)}`,
              sessionId: `s${rng.int(5_000_000)}`,
              eventType: 'view',
              rawEventType: types[rng.int(types.length)] as string,
              itemId: `i${rng.int(100_000)}`,
              sentAt: arrival - rng.int(60_000),
            };
        if (!resend) {
          if (recent.length < 10_000) recent.push(e);
          else recent[rng.int(recent.length)] = e;
        }
        lines.push(exportRecord(e));
      }
      await artifacts.put(
        `${exportPartition(arrival)}${String(arrival).padStart(15, '0')}-${objects}.jsonl`,
        lines.join(''),
      );
      objects++;
    }
    const writeS = (performance.now() - t0) / 1000;

    // ---- the merge, as Prepare runs it ----
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peakRss = rss0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 50);
    t0 = performance.now();
    const merged = await mergeExportedEvents(artifacts, 'runs/bench/dataset', {
      from: now - 90 * DAY,
      to: now,
    });
    const mergeS = (performance.now() - t0) / 1000;
    const mergePeak = peakRss;

    // ---- the loader over the merged parts (what each later step pays) ----
    t0 = performance.now();
    const dataset = await loadDatasetFromStreams({
      interactions: {
        name: 'interactions.csv',
        stream: Readable.from(['USER_ID,ITEM_ID,TIMESTAMP\nu0,i0,1700000000\n']),
      },
      events: merged.parts.map((k) => ({ name: k, open: () => createReadStream(artifacts.uri(k)) })),
    });
    const loadS = (performance.now() - t0) / 1000;
    clearInterval(sampler);

    console.log(
      `${EVENTS.toLocaleString()} events (${objects} objects, written in ${writeS.toFixed(1)} s): merge ${mergeS.toFixed(2)} s (${(EVENTS / mergeS).toFixed(0)} events/s; merged ${merged.stats.merged}, duplicates ${merged.stats.duplicates}, ${merged.parts.length} parts), peak RSS ${mb(mergePeak).toFixed(0)} MB; loading the parts ${loadS.toFixed(2)} s (${dataset.interactions.length.toLocaleString()} interactions)`,
    );
    return { mergeS, peakMb: mb(mergePeak), baseMb: mb(rss0) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One size in a fresh process, so the two runs' heaps do not mix. */
function inChild(events: number): { mergeS: number; peakMb: number; baseMb: number } {
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, process.argv[1] as string, '--single', String(events)],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = out.trim().split('\n');
  console.log(lines.slice(0, -1).join('\n'));
  return JSON.parse(lines.at(-1) as string);
}

const single = arg('single', 0);
if (single > 0) {
  console.log(JSON.stringify(await once(single)));
  process.exit(0);
}
const small = inChild(Math.round(EVENTS / 2));
const large = inChild(EVENTS);
// the slope between the two sizes: what each further million events adds (garbage and fixed buffers cancel)
const secPerM = ((large.mergeS - small.mergeS) / (EVENTS / 2)) * 1e6;
const mbPerM = ((large.peakMb - small.peakMb) / (EVENTS / 2)) * 1e6;
const nightS = large.mergeS + (secPerM * (NIGHT - EVENTS)) / 1e6;
const nightMb = large.peakMb + (mbPerM * (NIGHT - EVENTS)) / 1e6;
console.log(
  `\nmerge cost per 1M events: ${((large.mergeS / EVENTS) * 1e6).toFixed(2)} s (marginal ${secPerM.toFixed(2)} s), marginal memory ${mbPerM.toFixed(0)} MB`,
);
console.log(
  `\n| night of ${(NIGHT / 1e6).toFixed(0)}M events | projected (linear from the two runs) | Lambda limit |`,
);
console.log('|---|---|---|');
console.log(`| Prepare merge time | ${nightS.toFixed(0)} s | ${LAMBDA.seconds} s |`);
console.log(`| Prepare merge peak memory | ${nightMb.toFixed(0)} MB | ${LAMBDA.mb} MB |`);
const fits = nightS < LAMBDA.seconds * 0.5 && nightMb < LAMBDA.mb * 0.5;
console.log(
  `| plan | ${fits ? 'one Prepare invocation (within half of both limits)' : 'over half a limit: the merge needs sharding by eventId hash (not built)'} | |`,
);
