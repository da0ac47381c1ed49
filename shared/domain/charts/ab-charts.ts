import { EVENT_TYPES, type EventType } from '../events/events.js';
import { type AbReport, RATE_LABELS, type SlotReport } from '../measurement/ab-report.js';
import { holmAdjust } from '../measurement/statistics.js';
import { type ChartSpec, intervalPanels, PALETTE, type TimePanel, timePanels } from './chart-specs.js';

export type Basis = 'perImpression' | 'perUser';

const basisLabel = (b: Basis) => (b === 'perImpression' ? 'impression' : 'user');

/** "cf (control)\n468 imp." style x labels: the arm, its role and its traffic, so no legend is needed. */
function armLabel(slot: SlotReport, arm: SlotReport['arms'][number], basis: Basis): string {
  const n = basis === 'perImpression' ? `${arm.impressions} imp.` : `${arm.users} users`;
  return `${arm.arm}${arm.arm === slot.control ? ' (control)' : ''}\n${n}`;
}

/** Rates per arm of one slot with 95% Wilson intervals: one panel (one shared axis) per metric. */
export function abRatesChart(report: AbReport, slot: SlotReport, basis: Basis = 'perImpression'): ChartSpec {
  return intervalPanels(
    `Slot ${slot.slot}: rates per ${basisLabel(basis)} with 95% intervals`,
    `${report.since.slice(0, 10)} to ${report.until.slice(0, 10)}, attribution window ${report.windowHours} h`,
    EVENT_TYPES.map((t) => ({
      title: `${RATE_LABELS[t]} (%)`,
      unit: '%' as const,
      categories: slot.arms.map((a) => armLabel(slot, a, basis)),
      points: slot.arms.map((a) => ({
        value: a[basis][t].rate,
        low: a[basis][t].low,
        high: a[basis][t].high,
      })),
    })),
  );
}

/** One arm-versus-control comparison, with its p-value adjusted across every arm × metric of the slot. */
export interface ControlComparison {
  readonly arm: string;
  readonly type: EventType;
  readonly diff: number;
  readonly diffLow: number;
  readonly diffHigh: number;
  readonly pValue: number;
  /** Holm–Bonferroni over all arms × metrics of the slot (on the chosen basis). */
  readonly adjustedP: number;
}

/** The differences to control of a slot, Holm-adjusted across arms × metrics (the family one reads at once). */
export function controlComparisons(slot: SlotReport, basis: Basis = 'perImpression'): ControlComparison[] {
  const raw = slot.arms.flatMap((a) =>
    EVENT_TYPES.flatMap((t) => {
      const test = a.vsControl?.[t]?.[basis];
      return test ? [{ arm: a.arm, type: t, ...test }] : [];
    }),
  );
  const adjusted = holmAdjust(raw.map((r) => r.pValue));
  return raw.map((r, i) => ({
    arm: r.arm,
    type: r.type,
    diff: r.diff,
    diffLow: r.diffLow,
    diffHigh: r.diffHigh,
    pValue: r.pValue,
    adjustedP: adjusted[i]!,
  }));
}

/** Differences to the control (points) with 95% intervals, one panel per metric, 0 marked. */
export function abDifferenceChart(slot: SlotReport, basis: Basis = 'perImpression'): ChartSpec {
  const comparisons = controlComparisons(slot, basis);
  const arms = slot.arms.filter((a) => a.arm !== slot.control);
  return intervalPanels(
    `Slot ${slot.slot}: difference to control ${slot.control} per ${basisLabel(basis)}`,
    'percentage points, 95% intervals; p-values Holm-adjusted across arms × metrics in the table',
    EVENT_TYPES.map((t) => {
      const rows = arms.map((a) => comparisons.find((c) => c.arm === a.arm && c.type === t));
      return {
        title: `Δ ${RATE_LABELS[t]} (points)`,
        unit: 'pt' as const,
        reference: 0,
        categories: arms.map((a) => a.arm),
        colours: arms.map((a) => PALETTE[slot.arms.indexOf(a) % PALETTE.length]),
        points: rows.map((c) => (c ? { value: c.diff, low: c.diffLow, high: c.diffHigh } : { value: 0 })),
      };
    }),
  );
}

/** Cumulative reports, one per day (each from the experiment's start to the end of that day). */
export interface DailyReport {
  readonly day: string;
  readonly report: AbReport;
}

/** Each metric's cumulative rate per arm over the days, with intervals: one panel per metric. */
export function abOverTimeChart(
  days: readonly DailyReport[],
  slotName: string,
  basis: Basis = 'perImpression',
): ChartSpec {
  const arms = [
    ...new Set(
      days.flatMap((d) => d.report.slots.find((s) => s.slot === slotName)?.arms.map((a) => a.arm) ?? []),
    ),
  ];
  const panels: TimePanel[] = EVENT_TYPES.map((t) => ({
    title: RATE_LABELS[t],
    unit: '%',
    dates: days.map((d) => d.day.slice(5)),
    series: arms.map((arm) => ({
      name: arm,
      values: days.map((d) => {
        const a = d.report.slots.find((s) => s.slot === slotName)?.arms.find((x) => x.arm === arm);
        if (!a || a[basis][t].trials === 0) return null;
        const r = a[basis][t];
        return { value: r.rate, low: r.low, high: r.high };
      }),
    })),
  }));
  return timePanels(
    `Slot ${slotName}: cumulative rates per ${basisLabel(basis)} by day`,
    'each point counts everything from the first day to the end of that day; 95% intervals',
    panels,
  );
}
