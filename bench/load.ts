import '../shared/polyfills.js';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../shared/domain/data/loader.js';

/**
 * Load speed and memory of the streaming CSV loader on a generated interactions.csv.
 *
 * Run: npx tsx bench/load.ts [rows]            (default 1,000,000 rows)
 *      node --expose-gc --import tsx bench/load.ts   (heap figures after a full GC)
 */

const ROWS = Number(process.argv[2] ?? 1_000_000);
const USERS = Math.max(1, Math.round(ROWS / 20));
const ITEMS = Math.max(1, Math.round(ROWS / 40));
const TYPES = ['view', 'view', 'view', 'view', 'view', 'view', 'cart', 'favorite', 'purchase'];

const gc = (globalThis as { gc?: () => void }).gc;
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

async function writeInteractions(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n');
  let chunk = '';
  let x = 12345;
  for (let r = 0; r < ROWS; r++) {
    // xorshift keeps ids scattered (as in a real log) without Math.random's cost or non-determinism
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const u = (x >>> 0) % USERS;
    const i = (Math.imul(x, 0x9e3779b1) >>> 0) % ITEMS;
    const type = TYPES[r % TYPES.length];
    chunk += `user-${u},item-${i},${1_700_000_000 + r * 3},${type},${type === 'purchase' ? (u % 90) + 9.99 : ''}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'osusume-bench-load-'));
  try {
    const file = join(dir, 'interactions.csv');
    let t = performance.now();
    await writeInteractions(file);
    const bytes = (await stat(file)).size;
    console.log(
      `generated ${ROWS.toLocaleString('en')} rows (${USERS} users, ${ITEMS} items) = ${mib(bytes)} in ` +
        `${((performance.now() - t) / 1000).toFixed(2)} s`,
    );

    gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    // The loader yields between stream chunks, so a timer can sample RSS while it runs.
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 20);
    const cpu = process.cpuUsage();
    t = performance.now();
    const dataset = await loadDataset(dir);
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    if (gc) {
      // ArrayBuffer backing stores are released after the collection: collect, yield, collect again.
      gc();
      await new Promise((r) => setTimeout(r, 50));
      gc();
    }
    const after = process.memoryUsage();
    const it = dataset.interactions;
    const columns =
      it.user.byteLength +
      it.item.byteLength +
      it.timestamp.byteLength +
      it.eventType.byteLength +
      it.eventValue.byteLength;

    const n = dataset.interactions.length;
    console.log(
      `loaded ${n.toLocaleString('en')} interactions, ${dataset.users.size} users, ${dataset.items.size} items, ` +
        `${dataset.eventTypes.size - 1} event types`,
    );
    console.log(
      `load time ${seconds.toFixed(2)} s (CPU ${((used.user + used.system) / 1e6).toFixed(2)} s) = ` +
        `${Math.round(n / seconds).toLocaleString('en')} rows/s, ${(bytes / 1048576 / seconds).toFixed(1)} MiB/s`,
    );
    console.log(
      `memory: heap used ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} (+${mib(after.heapUsed - before.heapUsed)})` +
        `, RSS ${mib(before.rss)} -> ${mib(after.rss)} (+${mib(after.rss - before.rss)}, peak during load ${mib(peakRss)})` +
        `, ArrayBuffers ${mib(after.arrayBuffers)} (interaction columns ${mib(columns)})${gc ? ' [after gc]' : ' [no --expose-gc: heap figures include garbage]'}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
