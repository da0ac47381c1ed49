import type { EvaluationResult } from '../evaluation/evaluate.js';
import type { RankingMetrics } from '../evaluation/metrics.js';
import { ownValue } from '../own-property.js';
import { type ChartSpec, type IntervalValue, intervalPanels, timePanels } from './chart-specs.js';

/** The offline metrics a chart shows, with how to read each from a result. */
const METRICS: { key: keyof RankingMetrics & string; label: (k: number) => string }[] = [
  { key: 'precision', label: (k) => `precision@${k}` },
  { key: 'recall', label: (k) => `recall@${k}` },
  { key: 'ndcg', label: (k) => `NDCG@${k}` },
  { key: 'coverage', label: () => 'coverage' },
];

/** The 95% intervals [low, high] of a result's per-user averages (`RankingMetrics.ci95`; coverage has none). */
export type MetricIntervals = Readonly<Partial<Record<string, readonly [number, number]>>>;

function withInterval(value: number, ci: readonly [number, number] | undefined): IntervalValue {
  return ci === undefined ? { value } : { value, low: ci[0], high: ci[1] };
}

/** The interval of `key` from a metrics object's `ci95`, when it has one. */
function intervalOf(metrics: { readonly ci95?: MetricIntervals }, key: string) {
  return metrics.ci95 ? ownValue(metrics.ci95, key) : undefined;
}

/** `osusume evaluate`'s chart: one panel per metric (its own axis), one point per algorithm with its interval. */
export function evaluationChart(result: EvaluationResult): ChartSpec {
  return intervalPanels(
    `Offline evaluation (${result.protocol} protocol, K = ${result.k})`,
    `${result.results.length} algorithms; 95% intervals over users where recorded`,
    METRICS.map((m) => ({
      title: m.label(result.k),
      unit: '',
      categories: result.results.map((r) => r.algorithm),
      points: result.results.map((r) =>
        withInterval(r.metrics[m.key] as number, intervalOf(r.metrics, m.key)),
      ),
    })),
  );
}

/** One stored nightly evaluation (the shape of GET /admin/models' history entries). */
export interface NightlyMetrics {
  readonly version: string;
  readonly evaluatedAt: string;
  /** Older records may lack `ci95`: their points are drawn without intervals. */
  readonly metrics: Omit<RankingMetrics, 'ci95'> & { readonly ci95?: MetricIntervals };
}

/** The console's offline-quality chart: each metric per algorithm per night, one panel per metric. */
export function qualityHistoryChart(
  histories: readonly { algorithm: string; history: readonly NightlyMetrics[] }[],
): ChartSpec {
  const versions = [...new Set(histories.flatMap((h) => h.history.map((r) => r.version)))].sort();
  const k = histories.find((h) => h.history.length)?.history[0].metrics.k ?? 10;
  return timePanels(
    'Offline quality per nightly run',
    'Personalize protocol (10% of users held out); 95% intervals over users where recorded',
    METRICS.map((m) => ({
      title: m.label(k),
      unit: '',
      dates: versions,
      series: histories.map((h) => ({
        name: h.algorithm,
        values: versions.map((v) => {
          const r = h.history.find((x) => x.version === v);
          return r ? withInterval(r.metrics[m.key] as number, intervalOf(r.metrics, m.key)) : null;
        }),
      })),
    })),
  );
}
