import {
  EVENT_TYPES,
  type EventType,
  type Impression,
  isEventType,
  type StoredEvent,
  visitorId,
} from '../events/events.js';
import type { ExperimentConfig } from '../experiments/experiments.js';
import { ownValue } from '../own-property.js';
import { type AttributionRule, attributeEvents } from './attribution.js';
import {
  type ProportionTest,
  type RateInterval,
  holmAdjust,
  type SampleRatioCheck,
  sampleRatioCheck,
  twoProportionTest,
  wilsonInterval,
} from './statistics.js';

/** The rates the talk compared arms on, plus purchases. */
export const RATE_LABELS: Readonly<Record<EventType, string>> = {
  view: 'view rate',
  favorite: 'favorite rate',
  cart: 'add-to-cart rate',
  purchase: 'purchase rate',
};

type PerType<T> = Record<EventType, T>;

/** One arm of one slot. */
export interface ArmReport {
  readonly arm: string;
  readonly impressions: number;
  /** Distinct users served by this arm. */
  readonly users: number;
  /** Attributed events per type. */
  readonly events: PerType<number>;
  /** Share of impressions followed by at least one attributed event of the type, with a 95% Wilson interval. */
  readonly perImpression: PerType<RateInterval>;
  /** Share of served users with at least one attributed event of the type. */
  readonly perUser: PerType<RateInterval>;
  /** The arm's configured share of the slot's traffic (absent for an arm no longer configured). */
  readonly weight?: number;
  /** Against the control arm (absent on the control itself or when untestable). */
  readonly vsControl?: PerType<{ perImpression?: ProportionTest; perUser?: ProportionTest }>;
}

export interface SlotReport {
  readonly slot: string;
  readonly experiments: string[];
  readonly control: string;
  readonly arms: ArmReport[];
  /** Users per arm against the configured weights (absent unless every arm served is configured). */
  readonly sampleRatio?: SampleRatioCheck;
}

export interface AbReport {
  /** Time range of the report, ISO. */
  readonly since: string;
  readonly until: string;
  readonly windowHours: number;
  /** How the events in range were attributed. */
  readonly attribution: Record<AttributionRule, number>;
  readonly slots: SlotReport[];
}

export interface AbReportOptions {
  readonly since: number;
  readonly until: number;
  readonly windowMs: number;
  /** Only this slot (all slots when absent). */
  readonly slot?: string;
  /** Arm names in configured order (first = control) per slot. */
  readonly experiments?: ExperimentConfig;
  /** Control arm name (default: the slot's first configured arm). */
  readonly control?: string;
}

/** Whether a stored list has the types the report relies on (string ids, a list of items, a time). */
function wellTyped(imp: Impression): boolean {
  const strings = [imp.recommendationId, imp.userId, imp.slot, imp.experiment, imp.arm];
  return strings.every((v) => typeof v === 'string') && Array.isArray(imp.items) && Number.isFinite(imp.ts);
}

const perType = <T>(f: (t: EventType) => T): PerType<T> =>
  Object.fromEntries(EVENT_TYPES.map((t) => [t, f(t)])) as PerType<T>;

/**
 * Per slot and arm: impressions, users, attributed events and the four rates per impression and per
 * user with 95% intervals, and each arm's difference to the control with a two-proportion z-test.
 * `impressions` should include those up to one window before `since` so early events can be attributed;
 * only impressions served in [since, until) are counted.
 */
export function buildAbReport(
  events: readonly StoredEvent[],
  allImpressions: readonly Impression[],
  options: AbReportOptions,
): AbReport {
  // stored lists come from outside this code: one of other types must not fail the whole report
  const impressions = allImpressions.filter(wellTyped);
  const attributions = attributeEvents(
    events.filter((e) => e.sentAt >= options.since && e.sentAt < options.until),
    impressions,
    options.windowMs,
  );
  const counts: Record<AttributionRule, number> = { direct: 0, window: 0, none: 0 };
  for (const a of attributions) counts[a.rule]++;

  interface Acc {
    impressions: number;
    users: Set<string>;
    events: PerType<number>;
    impressionsWith: PerType<Set<string>>;
    usersWith: PerType<Set<string>>;
    experiments: Set<string>;
  }
  const slots = new Map<string, Map<string, Acc>>();
  const acc = (slot: string, arm: string): Acc => {
    let arms = slots.get(slot);
    if (!arms) {
      arms = new Map();
      slots.set(slot, arms);
    }
    let a = arms.get(arm);
    if (!a) {
      a = {
        impressions: 0,
        users: new Set(),
        events: perType(() => 0),
        impressionsWith: perType(() => new Set()),
        usersWith: perType(() => new Set()),
        experiments: new Set(),
      };
      arms.set(arm, a);
    }
    return a;
  };
  const counted = (imp: Impression) =>
    imp.ts >= options.since && imp.ts < options.until && (!options.slot || imp.slot === options.slot);
  for (const imp of impressions) {
    if (!counted(imp)) continue;
    const a = acc(imp.slot, imp.arm);
    a.impressions++;
    a.users.add(imp.userId);
    a.experiments.add(imp.experiment);
  }
  for (const { event, impression } of attributions) {
    // events credited to lists served before `since` are outside the measured population
    if (!impression || !counted(impression)) continue;
    // a stored type outside the canonical four (an older mapping, a hand-written item) has no rate to count in
    if (!isEventType(event.eventType)) continue;
    const a = acc(impression.slot, impression.arm);
    a.events[event.eventType]++;
    a.impressionsWith[event.eventType].add(impression.recommendationId);
    a.usersWith[event.eventType].add(visitorId(event));
  }

  const slotReports: SlotReport[] = [];
  for (const slot of [...slots.keys()].sort()) {
    const arms = slots.get(slot)!;
    const configuredArms = ownValue(options.experiments?.slots, slot)?.arms ?? [];
    const configured = configuredArms.map((a) => a.name);
    const totalWeight = configuredArms.reduce((s, a) => s + a.weight, 0);
    const weightOf = (name: string) => {
      const a = configuredArms.find((x) => x.name === name);
      return a && totalWeight > 0 ? a.weight / totalWeight : undefined;
    };
    const order = [
      ...configured.filter((n) => arms.has(n)),
      ...[...arms.keys()].filter((n) => !configured.includes(n)).sort(),
    ];
    const control = options.control && arms.has(options.control) ? options.control : order[0];
    const base = (name: string) => {
      const a = arms.get(name)!;
      return {
        arm: name,
        weight: weightOf(name),
        impressions: a.impressions,
        users: a.users.size,
        events: { ...a.events },
        perImpression: perType((t) => wilsonInterval(a.impressionsWith[t].size, a.impressions)),
        perUser: perType((t) => wilsonInterval(a.usersWith[t].size, a.users.size)),
      };
    };
    const c = base(control);
    const reports: ArmReport[] = order.map((name) => {
      if (name === control) return c;
      const r = base(name);
      return {
        ...r,
        vsControl: perType((t) => ({
          perImpression: twoProportionTest(
            r.perImpression[t].successes,
            r.perImpression[t].trials,
            c.perImpression[t].successes,
            c.perImpression[t].trials,
          ),
          perUser: twoProportionTest(
            r.perUser[t].successes,
            r.perUser[t].trials,
            c.perUser[t].successes,
            c.perUser[t].trials,
          ),
        })),
      };
    });
    const experiments = new Set<string>();
    for (const a of arms.values()) for (const e of a.experiments) experiments.add(e);
    // assignment is per user (a hash of the user id), so users, not lists, must split as the weights say
    // a configured arm that served nobody counts as 0 users: that is the worst mismatch, not a smaller slot
    const sampleRatio =
      configuredArms.length > 0 && reports.every((r) => r.weight !== undefined)
        ? sampleRatioCheck(
            configuredArms.map((a) => (arms.has(a.name) ? arms.get(a.name)!.users.size : 0)),
            configuredArms.map((a) => a.weight),
          )
        : undefined;
    slotReports.push({ slot, experiments: [...experiments].sort(), control, arms: reports, sampleRatio });
  }
  return {
    since: new Date(options.since).toISOString(),
    until: new Date(options.until).toISOString(),
    windowHours: options.windowMs / 3_600_000,
    attribution: counts,
    slots: slotReports,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const interval = (r: RateInterval) => `${pct(r.rate)} [${pct(r.low)}, ${pct(r.high)}]`;
const vs = (t: ProportionTest | undefined) =>
  t
    ? `${t.diff >= 0 ? '+' : ''}${(t.diff * 100).toFixed(2)} pt (p=${t.pValue < 0.001 ? '<0.001' : t.pValue.toFixed(3)})`
    : '—';

/** Rows of one slot for the text formats: one line per arm and basis. */
function rows(slot: SlotReport): string[][] {
  const header = [
    'arm',
    'basis',
    'n',
    ...EVENT_TYPES.map((t) => RATE_LABELS[t]),
    ...EVENT_TYPES.map((t) => `Δ ${t} vs ${slot.control}`),
  ];
  const out = [header];
  for (const a of slot.arms) {
    for (const basis of ['perImpression', 'perUser'] as const) {
      out.push([
        a.arm,
        basis === 'perImpression' ? 'impressions' : 'users',
        String(basis === 'perImpression' ? a.impressions : a.users),
        ...EVENT_TYPES.map((t) => interval(a[basis][t])),
        ...EVENT_TYPES.map((t) => (a.vsControl ? vs(a.vsControl[t][basis]) : 'control')),
      ]);
    }
  }
  return out;
}

/** Terminal width the plain-text report keeps to. */
export const TABLE_COLUMNS = 100;

/** Aligned columns (numbers right-aligned), two spaces apart. */
function aligned(rows: readonly string[][], right: ReadonlySet<number>): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) =>
    row
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd(),
  );
}

/** A name cut to `max` characters (an ellipsis says so), so one long arm name cannot widen every line. */
const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/**
 * The report as aligned plain-text tables that fit 100 columns: per slot, the rates per impression and per user
 * (in %, with 95% Wilson intervals), then one line per arm and metric against the control with the raw and the
 * Holm-adjusted p-value (adjusted across every arm × metric of the slot and basis).
 */
export function formatAbReportTable(report: AbReport): string {
  const lines = [
    `A/B report ${report.since} .. ${report.until}`,
    `attribution window ${report.windowHours} h; events: ${report.attribution.direct} direct, ${report.attribution.window} window, ${report.attribution.none} unattributed`,
  ];
  if (report.slots.length === 0) lines.push('no impressions in this range');
  const short = (r: RateInterval) =>
    `${(r.rate * 100).toFixed(1)} [${(r.low * 100).toFixed(1)}-${(r.high * 100).toFixed(1)}]`;
  for (const slot of report.slots) {
    lines.push(
      '',
      clip(
        `slot ${slot.slot} (experiment ${slot.experiments.join(', ')}; control ${slot.control})`,
        TABLE_COLUMNS,
      ),
    );
    const weights = slot.arms.map(
      (a) => `${clip(a.arm, 16)} ${a.weight === undefined ? '?' : `${(a.weight * 100).toFixed(0)}%`}`,
    );
    const srm = slot.sampleRatio
      ? `; sample-ratio test p=${slot.sampleRatio.pValue < 0.001 ? '<0.001' : slot.sampleRatio.pValue.toFixed(3)}${slot.sampleRatio.mismatch ? ' MISMATCH: users do not split as configured' : ''}`
      : '';
    lines.push(clip(`configured split: ${weights.join(', ')}${srm}`, TABLE_COLUMNS));
    for (const basis of ['perImpression', 'perUser'] as const) {
      lines.push(
        '',
        `rates per ${basis === 'perImpression' ? 'impression' : 'user'}, % [95% Wilson interval]`,
      );
      const head = [
        'arm',
        basis === 'perImpression' ? 'impr.' : 'users',
        ...EVENT_TYPES.map((t) => RATE_LABELS[t]),
      ];
      const body = slot.arms.map((a) => [
        clip(a.arm, 16),
        String(basis === 'perImpression' ? a.impressions : a.users),
        ...EVENT_TYPES.map((t) => short(a[basis][t])),
      ]);
      lines.push(...aligned([head, ...body], new Set([1, 2, 3, 4, 5])));
    }
    for (const basis of ['perImpression', 'perUser'] as const) {
      const tests = slot.arms.flatMap((a) =>
        EVENT_TYPES.flatMap((t) => {
          const x = a.vsControl?.[t]?.[basis];
          return x ? [{ arm: a.arm, type: t, ...x }] : [];
        }),
      );
      if (!tests.length) continue;
      const adjusted = holmAdjust(tests.map((x) => x.pValue));
      const p = (v: number) => (v < 0.001 ? '<0.001' : v.toFixed(3));
      lines.push(
        '',
        `vs control ${clip(slot.control, 16)} per ${basis === 'perImpression' ? 'impression' : 'user'} (points; Holm p over ${tests.length} tests)`,
      );
      lines.push(
        ...aligned(
          [
            ['arm', 'metric', 'Δ pt', '95% interval', 'p', 'Holm p'],
            ...tests.map((x, i) => [
              clip(x.arm, 16),
              RATE_LABELS[x.type],
              `${x.diff >= 0 ? '+' : ''}${(x.diff * 100).toFixed(2)}`,
              `[${(x.diffLow * 100).toFixed(2)}, ${(x.diffHigh * 100).toFixed(2)}]`,
              p(x.pValue),
              p(adjusted[i]!),
            ]),
          ],
          new Set([2, 3, 4, 5]),
        ),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The report as Markdown tables, one per slot. */
export function formatAbReportMarkdown(report: AbReport): string {
  const lines = [
    `**A/B report** ${report.since} .. ${report.until}; attribution window ${report.windowHours} h; events: ${report.attribution.direct} direct, ${report.attribution.window} window, ${report.attribution.none} unattributed.`,
  ];
  for (const slot of report.slots) {
    lines.push(
      '',
      `### Slot \`${slot.slot}\` (experiment ${slot.experiments.join(', ')}, control \`${slot.control}\`)`,
      '',
    );
    const r = rows(slot);
    lines.push(`| ${r[0].join(' | ')} |`, `|${r[0].map(() => '---').join('|')}|`);
    for (const row of r.slice(1)) lines.push(`| ${row.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
