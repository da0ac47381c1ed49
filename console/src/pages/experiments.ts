import {
  abDifferenceChart,
  abOverTimeChart,
  abRatesChart,
  type Basis,
  controlComparisons,
  type DailyReport,
} from '../../../shared/domain/charts/ab-charts.js';
import { api } from '../api.js';
import { el, errorBox, interval, pct, table } from '../dom.js';
import type { AbReport } from '../types.js';

const TYPES = ['view', 'favorite', 'cart', 'purchase'] as const;
const LABELS = { view: 'view', favorite: 'favorite', cart: 'add-to-cart', purchase: 'purchase' };
const DAY = 86_400_000;

/** Cumulative reports from the range's first day with traffic to the end of each day (one request per day). */
async function daily(report: AbReport, slot: string): Promise<DailyReport[]> {
  const since = Date.parse(report.since);
  const until = Date.parse(report.until);
  const out: DailyReport[] = [];
  for (let end = Math.floor(since / DAY) * DAY + DAY; end < until + DAY; end += DAY) {
    const to = Math.min(end, until);
    const r = await api<AbReport>(
      `/reports/ab?since=${encodeURIComponent(report.since)}&until=${encodeURIComponent(new Date(to).toISOString())}&slot=${encodeURIComponent(slot)}`,
    );
    const served = r.slots.some((s) => s.arms.some((a) => a.impressions > 0));
    if (served || out.length) out.push({ day: new Date(to - 1).toISOString().slice(0, 10), report: r });
  }
  return out;
}

/** Experiments: per slot and arm the rates with intervals, the differences to control, over time, weights and SRM. */
export async function experimentsPage(root: HTMLElement): Promise<void> {
  const since = el(
    'select',
    { id: 'ab-since' },
    ...['7d', '14d', '30d', '90d'].map((d) => el('option', { value: d }, `last ${d.replace('d', ' days')}`)),
  );
  const basis = el(
    'select',
    { id: 'ab-basis' },
    el('option', { value: 'perImpression' }, 'per impression'),
    el('option', { value: 'perUser' }, 'per user'),
  );
  const out = el('div');
  const draw = async () => {
    // ECharts is most of the bundle: loaded by the pages that draw charts, not on first load
    const { chartFigure } = await import('../charts.js');
    out.replaceChildren(el('p', { class: 'note', role: 'status' }, 'Loading…'));
    const report = await api<AbReport>(`/reports/ab?since=${since.value}`);
    const b = basis.value as Basis;
    const parts: HTMLElement[] = [
      el(
        'p',
        { class: 'note' },
        `${report.since.slice(0, 16).replace('T', ' ')} to ${report.until.slice(0, 16).replace('T', ' ')} UTC; events attributed: ${report.attribution.direct} direct, ${report.attribution.window} within ${report.windowHours} h, ${report.attribution.none} not attributed.`,
      ),
    ];
    if (report.slots.length === 0)
      parts.push(
        el(
          'p',
          {},
          'No impressions in this range yet: serve some recommendations (or run osusume simulate).',
        ),
      );
    for (const slot of report.slots) {
      parts.push(el('h2', {}, `Slot ${slot.slot} (control ${slot.control})`));
      if (slot.sampleRatio?.mismatch)
        parts.push(
          el(
            'p',
            { class: 'warning', role: 'alert' },
            `Sample-ratio mismatch: users per arm do not split as the weights say (chi-square ${slot.sampleRatio.chiSquare.toFixed(1)}, p = ${slot.sampleRatio.pValue.toExponential(2)} < 0.001). Check the assignment before trusting these rates.`,
          ),
        );
      else if (slot.sampleRatio)
        parts.push(
          el(
            'p',
            { class: 'note' },
            `Traffic splits as configured (sample-ratio test p = ${slot.sampleRatio.pValue.toFixed(3)}).`,
          ),
        );
      parts.push(
        table(
          `Arms of slot ${slot.slot}: rates ${b === 'perImpression' ? 'per impression' : 'per user'}, 95% Wilson intervals (%)`,
          ['arm', 'weight', 'impressions', 'users', ...TYPES.map((t) => `${LABELS[t]} rate`)],
          slot.arms.map((a) => [
            `${a.arm}${a.arm === slot.control ? ' (control)' : ''}`,
            a.weight === undefined ? 'not configured' : pct(a.weight, 1),
            a.impressions,
            a.users,
            ...TYPES.map((t) => interval(a[b][t])),
          ]),
          [1, 2, 3, 4, 5, 6, 7],
        ),
        chartFigure(abRatesChart(report, slot, b), `Rates per arm of slot ${slot.slot}`),
      );
      const comparisons = controlComparisons(slot, b);
      if (comparisons.length) {
        parts.push(
          table(
            `Difference to control ${slot.control} (points, 95% interval); p-values Holm–Bonferroni-adjusted across ${comparisons.length} arm × metric comparisons`,
            ['arm', 'metric', 'difference', 'interval', 'p', 'adjusted p', ''],
            comparisons.map((c) => [
              c.arm,
              `${LABELS[c.type]} rate`,
              `${c.diff >= 0 ? '+' : ''}${(c.diff * 100).toFixed(2)}`,
              `[${(c.diffLow * 100).toFixed(2)}, ${(c.diffHigh * 100).toFixed(2)}]`,
              c.pValue.toFixed(3),
              c.adjustedP.toFixed(3),
              c.adjustedP < 0.05 ? 'significant' : '',
            ]),
            [2, 3, 4, 5],
          ),
          chartFigure(abDifferenceChart(slot, b), `Differences to control of slot ${slot.slot}`),
        );
      }
      // the daily series is one report per day: a failure there must not hide the report above
      const days = await daily(report, slot.slot).catch((err: unknown) => {
        parts.push(el('h2', {}, `Slot ${slot.slot} over time`), errorBox(err));
        return [];
      });
      if (days.length)
        parts.push(
          el('h2', {}, `Slot ${slot.slot} over time`),
          chartFigure(abOverTimeChart(days, slot.slot, b), `Cumulative rates per day of slot ${slot.slot}`),
          table(
            `Cumulative ${LABELS.view} and ${LABELS.cart} rates per day, slot ${slot.slot}`,
            ['day', ...slot.arms.flatMap((a) => [`${a.arm} view`, `${a.arm} add-to-cart`])],
            days.map((d) => {
              const s = d.report.slots.find((x) => x.slot === slot.slot);
              return [
                d.day,
                ...slot.arms.flatMap((a) => {
                  const r = s?.arms.find((x) => x.arm === a.arm);
                  return r ? [interval(r[b].view), interval(r[b].cart)] : ['', ''];
                }),
              ];
            }),
            slot.arms.flatMap((_, i) => [1 + 2 * i, 2 + 2 * i]),
          ),
        );
    }
    out.replaceChildren(...parts);
  };
  const form = el(
    'form',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        draw().catch((err) => out.replaceChildren(errorBox(err)));
      },
    },
    el('label', { for: 'ab-since' }, 'Range', since),
    el('label', { for: 'ab-basis' }, 'Rates', basis),
    el('button', { type: 'submit' }, 'Show'),
  );
  root.append(form, out);
  await draw().catch((err) => out.replaceChildren(errorBox(err)));
}
