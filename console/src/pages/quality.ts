import { qualityHistoryChart } from '../../../shared/domain/charts/evaluation-charts.js';
import { api } from '../api.js';
import { el, table } from '../dom.js';
import type { ModelsOverview } from '../types.js';

const METRICS = ['precision', 'recall', 'ndcg', 'coverage'] as const;

/** `mean ± half` from the stored 95% interval (half = the wider side, as clipping to [0, 1] may cut one). */
function withInterval(v: number | undefined, ci: readonly [number, number] | undefined): string {
  if (v === undefined) return '';
  return ci === undefined ? v.toFixed(4) : `${v.toFixed(4)} ± ${Math.max(ci[1] - v, v - ci[0]).toFixed(4)}`;
}

/** Offline quality: each algorithm's metrics per nightly run with intervals, the gate's decisions, tuned vs default. */
export async function qualityPage(root: HTMLElement): Promise<void> {
  const models = await api<ModelsOverview>('/admin/models');
  // ECharts is most of the bundle: loaded by the pages that draw charts, not on first load
  const { chartFigure } = await import('../charts.js');
  const evaluated = models.algorithms.filter((a) => a.history.length);
  if (!evaluated.length) {
    root.append(
      el('p', {}, 'No nightly evaluation yet: start a nightly scoring run from the Overview page.'),
    );
    return;
  }
  const k = evaluated[0].history[0].metrics.k ?? 10;
  root.append(
    el(
      'p',
      { class: 'note' },
      'Each nightly run evaluates every algorithm on held-out users (Personalize protocol: 10% of users, their last 10% of interactions); intervals are 95% over those users.',
    ),
    chartFigure(
      qualityHistoryChart(evaluated.map((a) => ({ algorithm: a.algorithm, history: a.history as never }))),
      'Offline metrics per algorithm per nightly run',
    ),
  );
  for (const a of evaluated) {
    const tuned = a.history.some((r) => r.tuned !== undefined);
    root.append(
      table(
        `${a.algorithm}: offline metrics per night${a.active ? ` (published: ${a.active.version})` : ''}`,
        [
          'version',
          'evaluated',
          `P@${k}`,
          `R@${k}`,
          `NDCG@${k}`,
          'coverage',
          ...(tuned ? ['tuned vs default'] : []),
        ],
        [...a.history]
          .reverse()
          .map((r) => [
            r.version,
            r.evaluatedAt.replace('T', ' ').slice(0, 16),
            ...METRICS.map((m) =>
              withInterval(r.metrics[m], m === 'coverage' ? undefined : r.metrics.ci95?.[m]),
            ),
            ...(tuned ? [r.tuned === undefined ? 'default' : JSON.stringify(r.tuned)] : []),
          ]),
        [2, 3, 4, 5],
      ),
    );
  }
  root.append(
    el('h2', {}, 'Quality gate'),
    table(
      'Gate decision per nightly version (newest first)',
      ['version', 'decision', 'metric', 'margin', 'reason'],
      [...models.gates]
        .reverse()
        .map((g) => [
          g.version,
          el('span', { class: g.passed ? 'ok' : 'bad' }, g.passed ? 'published' : 'rejected'),
          g.metric,
          `${(g.margin * 100).toFixed(0)}%`,
          g.reason ?? '',
        ]),
      [3],
    ),
  );
}
