import { describe, expect, it } from 'vitest';
import type { Impression, StoredEvent } from '../../shared/domain/events/events.js';
import { DEFAULT_EXPERIMENTS } from '../../shared/domain/experiments/experiments.js';
import { renderAbReportSvg, renderChartSvg } from '../../shared/adapters/charts/echarts-svg.js';
import { PALETTE } from '../../shared/domain/charts/chart-specs.js';
import {
  buildAbReport,
  formatAbReportMarkdown,
  formatAbReportTable,
  TABLE_COLUMNS,
} from '../../shared/domain/measurement/ab-report.js';
import { attributeEvents } from '../../shared/domain/measurement/attribution.js';
import {
  chiSquareSurvival,
  holmAdjust,
  normalCdf,
  sampleRatioCheck,
  twoProportionTest,
  wilsonInterval,
} from '../../shared/domain/measurement/statistics.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

const imp = (
  id: string,
  userId: string,
  arm: string,
  items: string[],
  ts: number,
  slot = 'home',
): Impression => ({
  recommendationId: id,
  userId,
  slot,
  experiment: 'home-2026-11',
  arm,
  items,
  ts,
});

let n = 0;
const ev = (
  userId: string,
  itemId: string,
  eventType: StoredEvent['eventType'],
  sentAt: number,
  recommendationId?: string,
): StoredEvent => ({
  eventId: `e${++n}`,
  userId,
  sessionId: 's',
  eventType,
  rawEventType: eventType,
  itemId,
  sentAt,
  ...(recommendationId ? { recommendationId } : {}),
});

describe('wilsonInterval', () => {
  it('matches the hand-computed interval for 10 of 100', () => {
    // p=0.1, z²=3.8415; centre=(0.1+z²/200)/(1+z²/100)=0.114797; half=z·sqrt(0.0009+z²/40000)/(1+z²/100)=0.059569
    const r = wilsonInterval(10, 100);
    expect(r.rate).toBe(0.1);
    expect(r.low).toBeCloseTo(0.055229, 5);
    expect(r.high).toBeCloseTo(0.174366, 5);
  });

  it('gives a non-degenerate upper bound for zero successes', () => {
    // x=0: high = z²/n / (1 + z²/n) = 3.8415/50 / 1.07683 = 0.071348
    const r = wilsonInterval(0, 50);
    expect(r.low).toBe(0);
    expect(r.high).toBeCloseTo(0.071348, 5);
  });

  it('spans [0, 1] without trials', () => {
    expect(wilsonInterval(0, 0)).toMatchObject({ rate: 0, low: 0, high: 1 });
  });
});

describe('twoProportionTest', () => {
  it('matches the textbook test of 90/200 against 70/200', () => {
    // pooled 0.4, se=sqrt(0.4·0.6·(1/200+1/200))=0.0489898, z=0.1/0.0489898=2.04124, p=2(1-Φ(2.04124))=0.041227
    const t = twoProportionTest(90, 200, 70, 200)!;
    expect(t.diff).toBeCloseTo(0.1, 10);
    expect(t.z).toBeCloseTo(2.04124, 4);
    expect(t.pValue).toBeCloseTo(0.041227, 4);
    // unpooled se = sqrt(.45·.55/200 + .35·.65/200) = 0.0487340 → ±0.0955168
    expect(t.diffLow).toBeCloseTo(0.1 - 0.0955168, 5);
    expect(t.diffHigh).toBeCloseTo(0.1 + 0.0955168, 5);
  });

  it('is undefined when there is no variance to test', () => {
    expect(twoProportionTest(0, 100, 0, 100)).toBeUndefined();
  });

  it('has the standard normal CDF at 1.96 near 0.975', () => {
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });
});

describe('attributeEvents', () => {
  const impressions = [imp('r1', 'u1', 'cf', ['a', 'b'], T0), imp('r2', 'u1', 'fm', ['c'], T0 + 2 * H)];

  it('credits an event to the impression its recommendationId names', () => {
    const [a] = attributeEvents([ev('u1', 'zzz', 'view', T0 + 5 * H, 'r1')], impressions, H);
    expect([a.rule, a.impression?.arm]).toEqual(['direct', 'cf']);
  });

  it('credits an event without an id to the latest list in the window that served the item', () => {
    const [a] = attributeEvents([ev('u1', 'c', 'cart', T0 + 2.5 * H)], impressions, H);
    expect([a.rule, a.impression?.recommendationId]).toEqual(['window', 'r2']);
  });

  it('falls back to the window when the recommendationId is unknown (not sampled)', () => {
    const [a] = attributeEvents([ev('u1', 'a', 'view', T0 + 0.5 * H, 'unknown')], impressions, H);
    expect([a.rule, a.impression?.recommendationId]).toEqual(['window', 'r1']);
  });

  it('leaves an event unattributed outside the window', () => {
    const [a] = attributeEvents([ev('u1', 'a', 'view', T0 + 1.5 * H)], impressions, H);
    expect(a.rule).toBe('none');
  });

  it('leaves an event unattributed when the item was not served to that user', () => {
    const [a] = attributeEvents(
      [ev('u2', 'a', 'view', T0 + 0.5 * H), ev('u1', 'x', 'view', T0 + 0.5 * H)],
      impressions,
      H,
    );
    expect(a.rule).toBe('none');
  });

  it('does not credit an impression served after the event', () => {
    const [a] = attributeEvents([ev('u1', 'c', 'view', T0 + 1.9 * H)], impressions, 3 * H);
    expect(a.rule).toBe('none');
  });
});

describe('buildAbReport on a fixed event log', () => {
  // cf: 4 impressions to 2 users; fm: 2 impressions to 2 users
  const impressions = [
    imp('c1', 'u1', 'cf', ['a', 'b'], T0),
    imp('c2', 'u1', 'cf', ['a'], T0 + H),
    imp('c3', 'u2', 'cf', ['b'], T0 + H),
    imp('c4', 'u2', 'cf', ['d'], T0 + 2 * H),
    imp('f1', 'u3', 'fm', ['a'], T0),
    imp('f2', 'u4', 'fm', ['e'], T0),
  ];
  const events = [
    ev('u1', 'a', 'view', T0 + 10, 'c1'),
    ev('u1', 'b', 'view', T0 + 20, 'c1'), // second view on the same impression: still one impression with a view
    ev('u1', 'a', 'cart', T0 + H + 10), // window → c2
    ev('u2', 'b', 'view', T0 + H + 10, 'c3'),
    ev('u3', 'a', 'view', T0 + 10, 'f1'),
    ev('u3', 'a', 'purchase', T0 + 20, 'f1'),
    ev('u4', 'zz', 'view', T0 + 30), // none
  ];
  const report = buildAbReport(events, impressions, {
    since: T0,
    until: T0 + 24 * H,
    windowMs: H,
    experiments: DEFAULT_EXPERIMENTS,
  });
  const [home] = report.slots;
  const cf = home.arms.find((a) => a.arm === 'cf')!;
  const fm = home.arms.find((a) => a.arm === 'fm')!;

  it('counts attribution rules', () => {
    expect(report.attribution).toEqual({ direct: 5, window: 1, none: 1 });
  });

  it('orders arms as configured with the first as control', () => {
    expect([home.control, home.arms.map((a) => a.arm)]).toEqual(['cf', ['cf', 'fm']]);
  });

  it('counts impressions, users and attributed events per arm', () => {
    expect([cf.impressions, cf.users, cf.events]).toEqual([
      4,
      2,
      { view: 3, favorite: 0, cart: 1, purchase: 0 },
    ]);
  });

  it('computes rates per impression and per user', () => {
    expect([cf.perImpression.view.successes, cf.perImpression.view.trials]).toEqual([2, 4]);
    expect([cf.perUser.view.successes, cf.perUser.view.trials]).toEqual([2, 2]);
    expect([fm.perImpression.purchase.rate, fm.perUser.view.rate]).toEqual([0.5, 0.5]);
  });

  it('compares every other arm with the control', () => {
    expect(cf.vsControl).toBeUndefined();
    expect(fm.vsControl?.view.perImpression?.diff).toBeCloseTo(0.5 - 0.5, 10);
    expect(fm.vsControl?.purchase.perImpression?.diff).toBeCloseTo(0.5, 10);
  });

  it('uses a requested control arm', () => {
    const r = buildAbReport(events, impressions, {
      since: T0,
      until: T0 + 24 * H,
      windowMs: H,
      control: 'fm',
    });
    expect(r.slots[0].control).toBe('fm');
  });

  it('keeps only the requested slot', () => {
    const more = [...impressions, imp('x1', 'u9', 'cf', ['a'], T0, 'cart')];
    const r = buildAbReport(events, more, { since: T0, until: T0 + 24 * H, windowMs: H, slot: 'cart' });
    expect(r.slots.map((s) => s.slot)).toEqual(['cart']);
  });

  it('fits the terminal table in 100 columns, with Holm-adjusted p-values against the control', () => {
    const text = formatAbReportTable(report);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(TABLE_COLUMNS);
    expect(text).toContain('vs control cf per impression (points; Holm p over');
    expect(text).toMatch(/^fm\s+purchase rate\s+\+50\.00/m);
  });

  it('renders table, markdown and an SVG with a point and interval per arm and rate on a labelled axis', () => {
    expect(formatAbReportTable(report)).toContain('add-to-cart rate');
    expect(formatAbReportMarkdown(report)).toContain('| cf | impressions | 4 |');
    const svg = renderAbReportSvg(report);
    expect(svg.startsWith('<svg')).toBe(true);
    for (const label of ['view rate (%)', 'Δ purchase rate (points)', 'cf (control)', 'fm'])
      expect(svg).toContain(label);
    // each arm's points in its colour of the colour-blind-safe palette: 4 rates, plus fm's 4 differences
    const fills = (c: string) => svg.split(`fill="${c}"`).length - 1;
    expect(fills(PALETTE[0])).toBe(4);
    expect(fills(PALETTE[1])).toBe(8);
  });

  it('colours what a spec leaves uncoloured from the palette, through the set-up the console shares', () => {
    const svg = renderChartSvg({
      width: 200,
      height: 100,
      option: {
        animation: false,
        xAxis: { type: 'category', data: ['a', 'b'] },
        yAxis: { type: 'value' },
        series: [
          { type: 'scatter', data: [1, 2] },
          { type: 'scatter', data: [2, 1] },
        ],
      },
    });
    expect(svg).toContain(`fill="${PALETTE[0]}"`);
    expect(svg).toContain(`fill="${PALETTE[1]}"`);
  });
});

describe('experiment checks: sample-ratio mismatch and multiple comparisons', () => {
  it('gives the chi-square tail probabilities of the textbook critical values', () => {
    expect(chiSquareSurvival(3.841459, 1)).toBeCloseTo(0.05, 5);
    expect(chiSquareSurvival(7.814728, 3)).toBeCloseTo(0.05, 5);
    expect(chiSquareSurvival(16.26624, 3)).toBeCloseTo(0.001, 5);
  });

  it('flags a 600/400 split of a 50/50 experiment as a sample-ratio mismatch and passes a 505/495 one', () => {
    expect(sampleRatioCheck([600, 400], [1, 1])).toMatchObject({ chiSquare: 40, mismatch: true });
    expect(sampleRatioCheck([505, 495], [1, 1])?.mismatch).toBe(false);
    // a configured arm that served nobody is the worst mismatch
    expect(sampleRatioCheck([500, 500, 0], [1, 1, 1])?.mismatch).toBe(true);
  });

  it('adjusts p-values with Holm–Bonferroni, keeping their order and monotone', () => {
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005, undefined]);
    expect(adjusted.slice(0, 4).map((p) => +p!.toFixed(6))).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(adjusted[4]).toBeUndefined();
  });

  it('reports each arm’s configured share and the split test when the slot is configured', () => {
    const served = [
      imp('r1', 'u1', 'cf', ['a'], T0),
      imp('r2', 'u2', 'cf', ['a'], T0),
      imp('r3', 'u3', 'fm', ['a'], T0),
    ];
    const r = buildAbReport([], served, {
      since: T0,
      until: T0 + 24 * H,
      windowMs: H,
      experiments: {
        defaultSlot: 'home',
        slots: {
          home: {
            experiment: 'x',
            salt: 's',
            arms: [
              { name: 'cf', algorithm: 'cf', weight: 3 },
              { name: 'fm', algorithm: 'fm', weight: 1 },
            ],
          },
        },
      },
    });
    expect(r.slots[0].arms.map((a) => a.weight)).toEqual([0.75, 0.25]);
    expect(r.slots[0].sampleRatio?.pValue).toBeGreaterThan(0);
  });
});
