import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeShop } from '../../shared/domain/data/generator.js';
import { launchChromium, seriousViolations } from '../helpers/browser.js';
import { responseErrors } from '../helpers/openapi.js';
import { ROOT, type Started, startOsusume } from '../helpers/start-process.js';

const run = promisify(execFile);
const ADMIN_TOKEN = 'e2e-console-token-0123456';
const PAGES = ['overview', 'experiments', 'quality', 'shopper', 'ng'] as const;

async function osusume(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['shared/cli/osusume.mjs', ...args], {
    cwd: ROOT,
    env: { ...process.env, OSUSUME_ADMIN_TOKEN: ADMIN_TOKEN },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

describe('the console in Chromium against osusume start (small generated shop, after osusume simulate)', () => {
  let dir: string;
  let app: Started;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osusume-console-'));
    await writeShop({ seed: 5, users: 240, items: 150 }, join(dir, 'shop'));
    await osusume('simulate', '--data', join(dir, 'shop'), '--write-train', join(dir, 'train'));
    [app, browser] = await Promise.all([
      startOsusume(
        ['--data', join(dir, 'train')],
        { OSUSUME_ADMIN_TOKEN: ADMIN_TOKEN, QUALITY_GATE_MARGIN: '1' },
        150_000,
      ),
      launchChromium(),
    ]);
    await osusume(
      'simulate',
      '--api',
      app.url,
      '--app-key',
      app.appKey,
      '--data',
      join(dir, 'shop'),
      '--users',
      '200',
      '--days',
      '3',
      '--token',
      ADMIN_TOKEN,
    );
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // the URL npm start prints: the token in the fragment
    await page.goto(`${app.url}/console#token=${ADMIN_TOKEN}&appKey=${app.appKey}`);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Shows a page through its navigation link and waits until it has drawn. */
  async function show(name: (typeof PAGES)[number]): Promise<void> {
    await page.click(`nav a[href="#/${name}"]`);
    await page.waitForSelector(`main[data-page="${name}"][aria-busy="false"]`, { timeout: 60_000 });
  }

  const rows = (caption: string) =>
    page.$$eval(
      'table',
      (tables, c) =>
        tables
          .filter((t) => t.caption?.textContent?.startsWith(c))
          .flatMap((t) => [...t.tBodies[0].rows].map((r) => [...r.cells].map((x) => x.textContent ?? ''))),
      caption,
    );

  it('shows the published version of every algorithm on the Overview', async () => {
    await show('overview');
    const versions = await rows('Active version per algorithm');
    expect(versions.map((r) => r[0])).toEqual(['cf', 'fm', 'champion', 'session', 'popularity']);
    for (const r of versions) expect(r[1]).toMatch(/^\d{8}T\d{6}Z-/);
  });

  it('shows every arm with 95% intervals on the Experiments page after osusume simulate', async () => {
    await show('experiments');
    const arms = await rows('Arms of slot home');
    expect(arms.map((r) => r[0])).toEqual(['cf (control)', 'fm', 'personalize', 'session']);
    for (const r of arms) {
      expect(Number(r[2])).toBeGreaterThan(0); // impressions
      for (const rate of r.slice(4)) expect(rate).toMatch(/^\d+\.\d\d% \[\d+\.\d\d, \d+\.\d\d\]$/);
    }
    // the differences to control name their correction, and each chart is drawn with an axis per metric
    expect(await page.textContent('main')).toMatch(
      /Holm–Bonferroni-adjusted across \d+ arm × metric comparisons/,
    );
    const charts = await page.$$('figure.chart svg');
    expect(charts.length).toBe(3);
    // simulate --days 3 served a third of its users on each of the last three days: one row per day
    const days = (await rows('Cumulative view and add-to-cart rates per day, slot home')).map((r) => r[0]);
    expect(days).toHaveLength(3);
    expect(new Set(days).size).toBe(3);
    expect(await page.textContent('figure.chart')).toContain('add-to-cart rate (%)');
  });

  it('shows offline metrics with intervals and the gate decision on Offline quality', async () => {
    await show('quality');
    const cf = await rows('cf: offline metrics per night');
    expect(cf).toHaveLength(1);
    expect(cf[0][2]).toMatch(/^0\.\d{4} ± 0\.\d{4}$/);
    expect((await rows('Gate decision per nightly version'))[0][1]).toBe('published');
    // the page's numbers come from one stored interval per metric: metrics.ci95, as OpenAPI documents it
    const res = await fetch(`${app.url}/admin/models`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const models = (await res.json()) as {
      algorithms: { algorithm: string; history: Record<string, unknown>[] }[];
    };
    expect(responseErrors('GET', '/admin/models', 200, models)).toBe('');
    const entry = models.algorithms.find((a) => a.algorithm === 'cf')!.history[0];
    expect(entry).not.toHaveProperty('intervals');
    const { ndcg, ci95 } = entry.metrics as { ndcg: number; ci95: { ndcg: [number, number] } };
    expect(ci95.ndcg[0]).toBeLessThan(ndcg);
    expect(ci95.ndcg[1]).toBeGreaterThan(ndcg);
    const shown = Number(cf[0][4].split(' ± ')[1]);
    expect(shown).toBeCloseTo(Math.max(ci95.ndcg[1] - ndcg, ndcg - ci95.ndcg[0]), 4);
  });

  it('shows each arm of the slot side by side for one shopper, with item attributes and related lists', async () => {
    await show('shopper');
    for (const arm of ['cf', 'fm', 'personalize', 'session']) {
      const list = await rows(`Arm ${arm}`);
      expect(list).toHaveLength(10);
      expect(list[0][2]).toMatch(/\w+: \S/); // attributes from items.csv
      expect(list[0][4]).not.toBe(''); // source
    }
    const top = (await rows('Arm cf'))[0][1];
    expect((await rows(`Similar items of ${top}`)).length).toBeGreaterThan(0);
    expect(await page.$$(`table caption:text-matches("^Bought together of ${top}")`)).toHaveLength(1);
  });

  it("shows a session's lists reflecting recent items entered in the page, and posts no event", async () => {
    await show('shopper');
    const lists = async () => {
      // the page replaces the tables once every arm has answered
      const old = await page.$('[data-arm="session"] table');
      await page.click('form button[type="submit"]');
      await page.waitForFunction((t) => !t?.isConnected, old);
      await page.waitForSelector('[data-arm="session"] table');
      return {
        cf: (await rows('Arm cf')).map((r) => r[1]),
        session: (await rows('Arm session')).map((r) => r[1]),
      };
    };
    // the lists come from the admin session preview, with the admin token alone (IAM on AWS)
    const asked: { path: string; appKey?: string }[] = [];
    const onRequest = (r: Request) => {
      const url = new URL(r.url());
      if (url.pathname.endsWith('/recommendations'))
        asked.push({ path: url.pathname, appKey: r.headers()['x-api-key'] });
    };
    page.on('request', onRequest);
    await page.fill('#shopper-session', 'console-e2e');
    const before = await lists();
    const recent = before.cf.slice(0, 3);
    await page.fill('#shopper-items', recent.join(', '));
    const after = await lists();
    // the session arm scores the items; the popularity fill of the anonymous cf arm never re-adds them
    expect(after.session).not.toEqual(before.session);
    for (const id of recent) expect(after.cf).not.toContain(id);
    page.off('request', onRequest);
    expect(asked.length).toBeGreaterThan(0);
    expect(new Set(asked.map((a) => a.path))).toEqual(
      new Set(['/admin/sessions/console-e2e/recommendations']),
    );
    expect(asked.every((a) => a.appKey === undefined)).toBe(true);
    // nothing was stored: the session without items= still answers as before
    const res = await fetch(`${app.url}/sessions/console-e2e/recommendations?arm=session&numResults=10`, {
      headers: { 'x-api-key': app.appKey, authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const body = (await res.json()) as { itemList: { itemId: string }[] };
    expect(body.itemList.map((i) => i.itemId)).toEqual(before.session);
    await page.fill('#shopper-items', '');
    await page.fill('#shopper-session', '');
  });

  it('removes an NG item added in the page from Try a shopper', async () => {
    await show('shopper');
    const top = (await rows('Arm cf'))[0][1];
    await show('ng');
    await page.fill('#ng-item', top);
    await page.fill('#ng-reason', 'out of stock');
    await page.click('form button[type="submit"]');
    await page.waitForSelector(`text=Added ${top}.`);
    expect((await rows('NG items')).map((r) => [r[0], r[1]])).toContainEqual([top, 'out of stock']);
    await show('shopper');
    for (const arm of ['cf', 'fm', 'personalize', 'session'])
      expect((await rows(`Arm ${arm}`)).map((r) => r[1])).not.toContain(top);
    // and removing it from the page puts it back
    await show('ng');
    await page.click(`button[aria-label="Remove ${top}"]`);
    await page.waitForSelector(`text=Removed ${top}.`);
  });

  it('shows a run started from the page in the runs table', async () => {
    await show('overview');
    await page.selectOption('#run-machine', 'scoring');
    await page.click('text=Start a run');
    const status = await page.waitForSelector('text=/Started run /', { timeout: 30_000 });
    const runId = (await status.textContent())!.replace(/^Started run (.*)\.$/, '$1');
    await page.waitForFunction(
      `[...document.querySelectorAll('table tbody tr td:first-child')].some((td) => td.textContent === ${JSON.stringify(runId)})`,
      undefined,
      { timeout: 30_000 },
    );
    const run = (await rows('Pipeline runs')).find((r) => r[0] === runId)!;
    expect(run[1]).toBe('scoring');
    expect(['RUNNING', 'SUCCEEDED']).toContain(run[2]);
  });

  it('has no serious or critical axe-core violations on any page', async () => {
    for (const name of PAGES) {
      await show(name);
      expect(await seriousViolations(page), name).toEqual([]);
    }
  });

  it('is usable from the keyboard: Tab reaches the navigation and Enter opens a page', async () => {
    // a fresh load (the tab keeps its token): focus starts at the top of the document
    await page.goto('about:blank');
    await page.goto(`${app.url}/console#/overview`);
    await page.waitForSelector('main[aria-busy="false"]');
    // skip link first, then the five page links
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('NG items');
    await page.keyboard.press('Enter');
    await page.waitForSelector('main[data-page="ng"][aria-busy="false"]');
    // the page's controls are labelled
    expect(await page.getByLabel('Item id').count()).toBe(1);
    expect(await page.getByLabel('Reason').count()).toBe(1);
  });
});
