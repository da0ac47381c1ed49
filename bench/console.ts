/**
 * The console: assets gzipped against the 300 KB budget, first load over loopback against 1 s (median of fresh
 * browser contexts), and a screenshot of every page (bench/results/console-*.png) after `osusume simulate`.
 *
 * `npx tsx bench/console.ts [--users 2000] [--loads 9] [--days 7]`: generates a shop, starts `osusume start` on its training
 * part, replays the held-out part through the API, then drives Debian's Chromium with playwright-core. First load
 * is navigation start to the Overview drawn with its data (two API calls answered, tables in the DOM), with an
 * empty cache, so it includes fetching and parsing the whole bundle. Writes bench/results/console.md.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { writeShop } from '../shared/domain/data/generator.js';
import { launchChromium } from '../tests/helpers/browser.js';
import { ROOT, startOsusume } from '../tests/helpers/start-process.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const USERS = arg('users', 1000);
const LOADS = arg('loads', 9);
const DAYS = arg('days', 7);
const TOKEN = 'bench-console-token-012345';
const run = promisify(execFile);
const osusume = (...args: string[]) =>
  run(process.execPath, ['shared/cli/osusume.mjs', ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const distDir = join(ROOT, 'console/dist');
const files = readdirSync(distDir).map((f) => {
  const body = readFileSync(join(distDir, f));
  return { file: f, bytes: body.length, gzip: gzipSync(body).length };
});
const totalGzip = files.reduce((s, f) => s + f.gzip, 0);

const dir = await mkdtemp(join(tmpdir(), 'osusume-bench-console-'));
await writeShop({ seed: 7, users: USERS, items: Math.round(USERS / 2) }, join(dir, 'shop'));
await osusume('simulate', '--data', join(dir, 'shop'), '--write-train', join(dir, 'train'));
const app = await startOsusume(
  ['--data', join(dir, 'train')],
  {
    OSUSUME_ADMIN_TOKEN: TOKEN,
    // the A/B report scans the events table: on a shared machine at load average ~25 one page can take > 1 s
    DYNAMODB_TIMEOUT_MS: '10000',
  },
  600_000,
);
const browser = await launchChromium();
try {
  await osusume(
    'simulate',
    '--api',
    app.url,
    '--app-key',
    app.appKey,
    '--data',
    join(dir, 'shop'),
    '--users',
    String(USERS),
    // spread over a week, so the per-day series of the Experiments page has seven points
    '--days',
    String(DAYS),
    '--token',
    TOKEN,
  );
  // the CLI's chart of the same report: the same ECharts spec as the Experiments page, written to a file
  const { stdout: table } = await osusume(
    'ab-report',
    '--api',
    app.url,
    '--token',
    TOKEN,
    '--chart',
    join(ROOT, 'bench/results/ab-report-example.svg'),
  );
  console.log(table);
  const loads: number[] = [];
  const ready: number[] = [];
  const transferred: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    let bytes = 0;
    page.on('response', async (r) => {
      const len = Number((await r.allHeaders())['content-length'] ?? 0);
      if (r.url().includes('/console')) bytes += len;
    });
    const t0 = performance.now();
    await page.goto(`${app.url}/console#token=${TOKEN}&appKey=${app.appKey}`);
    await page.waitForSelector('main[data-page="overview"][aria-busy="false"] table');
    loads.push(performance.now() - t0);
    // the page's own part: navigation start to DOMContentLoaded (HTML, script and styles fetched and run)
    ready.push(
      (await page.evaluate(
        "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd",
      )) as number,
    );
    transferred.push(bytes);
    await context.close();
  }
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${app.url}/console#token=${TOKEN}&appKey=${app.appKey}`);
  // a run started from the Overview, followed to its end, so the screenshot shows it with its time per state
  await page.waitForSelector('main[data-page="overview"][aria-busy="false"]');
  await page.click('text=Start a run');
  await page.waitForSelector('text=/Last nightly scoring run: (SUCCEEDED|FAILED)/', { timeout: 600_000 });
  await page.click('nav a[href="#/experiments"]');
  await page.waitForSelector('main[data-page="experiments"][aria-busy="false"]', { timeout: 120_000 });
  for (const name of ['overview', 'experiments', 'quality', 'shopper', 'ng']) {
    await page.click(`nav a[href="#/${name}"]`);
    await page.waitForSelector(`main[data-page="${name}"][aria-busy="false"]`, { timeout: 120_000 });
    if (name === 'shopper') {
      // a session with three recent items entered in the page (items=, nothing posted): every arm's list for it
      const top = await page.$$eval('[data-arm="cf"] tbody tr td:nth-child(2)', (tds) =>
        tds.slice(0, 3).map((td) => td.textContent ?? ''),
      );
      const old = await page.$('[data-arm="session"] table');
      await page.fill('#shopper-session', 'bench-session');
      await page.fill('#shopper-items', top.join(', '));
      await page.click('form button[type="submit"]');
      await page.waitForFunction((t) => !t?.isConnected, old);
      await page.waitForSelector('[data-arm="session"] table');
    }
    await page.screenshot({
      path: join(ROOT, `bench/results/console-${name}.png`),
      fullPage: true,
      timeout: 120_000,
    });
    console.log(`screenshot bench/results/console-${name}.png`);
  }
  const rows = files.map(
    (f) => `| \`${f.file}\` | ${(f.bytes / 1024).toFixed(1)} KB | ${(f.gzip / 1024).toFixed(1)} KB |`,
  );
  const { stdout: uptime } = await run('uptime');
  const md = `# Console: size and first load

\`npx tsx bench/console.ts --users ${USERS} --loads ${LOADS} --days ${DAYS}\` (${new Date().toISOString().slice(0, 10)}; shared 2-core machine, Node ${process.version}, Debian Chromium headless; at the end: ${uptime.trim().replace(/^.*load/, 'load')}).

| file | size | gzipped |
|---|---|---|
${rows.join('\n')}
| **total** | ${(files.reduce((s, f) => s + f.bytes, 0) / 1024).toFixed(1)} KB | **${(totalGzip / 1024).toFixed(1)} KB** (target ≤ 300 KB) |

First load over loopback (fresh browser context each, empty cache; navigation start to the Overview drawn with
its data), ${LOADS} loads: DOMContentLoaded median ${median(ready).toFixed(0)} ms; drawn with data median **${median(loads).toFixed(0)} ms** (min ${Math.min(...loads).toFixed(0)}, max ${Math.max(...loads).toFixed(0)}; target ≤ 1,000 ms); console bytes on the wire per load (gzip) ${(median(transferred) / 1024).toFixed(1)} KB.

\`osusume ab-report --chart\` on the same run: [ab-report-example.svg](ab-report-example.svg); its terminal table:

\`\`\`
${table.trimEnd()}
\`\`\`

Screenshots (after \`osusume simulate --days ${DAYS}\` of ${USERS} users; Try a shopper with a session's three recent items entered): [Overview](console-overview.png), [Experiments](console-experiments.png), [Offline quality](console-quality.png), [Try a shopper](console-shopper.png), [NG items](console-ng.png).
`;
  writeFileSync(join(ROOT, 'bench/results/console.md'), md);
  console.log(md);
} finally {
  await browser.close();
  await app.stop();
  await rm(dir, { recursive: true, force: true });
}
