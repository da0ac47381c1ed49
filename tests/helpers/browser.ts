import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (`.ci/run` installs it): playwright-core drives it, no downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** One headless Chromium per test file. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** One accessibility violation axe-core found (rule, impact, and the first offending element). */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly target: string;
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP, which allows no
 * inline script, does not block it) and returns the serious and critical violations.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  // a string, evaluated in the page: this program is typed without the DOM
  const violations = (await page.evaluate(`axe.run(document).then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, target: v.nodes[0] ? v.nodes[0].target.join(' ') : '' })))`)) as AxeViolation[];

  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
