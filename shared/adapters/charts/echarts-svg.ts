import { CHART_THEME, echarts } from './echarts-core.js';
import { abDifferenceChart, abRatesChart, type Basis } from '../../domain/charts/ab-charts.js';
import type { ChartSpec } from '../../domain/charts/chart-specs.js';
import { evaluationChart } from '../../domain/charts/evaluation-charts.js';
import type { EvaluationResult } from '../../domain/evaluation/evaluate.js';
import type { AbReport } from '../../domain/measurement/ab-report.js';

/**
 * Renders a chart spec to a self-contained SVG document with ECharts' server-side renderer: the very spec the
 * console draws in the browser, so a file and the page never disagree.
 */
export function renderChartSvg(spec: ChartSpec): string {
  const chart = echarts.init(null, CHART_THEME, {
    renderer: 'svg',
    ssr: true,
    width: spec.width,
    height: spec.height,
  });
  try {
    chart.setOption(spec.option);
    return chart.renderToSVGString();
  } finally {
    // disposing stops zrender's frame loop, which would otherwise keep the process alive
    chart.dispose();
  }
}

/** Several charts stacked into one SVG document (a report with a panel set per slot). */
export function renderChartsSvg(specs: readonly ChartSpec[]): string {
  if (specs.length === 1) return renderChartSvg(specs[0]);
  const width = Math.max(...specs.map((s) => s.width));
  const height = specs.reduce((h, s) => h + s.height, 0);
  let y = 0;
  const parts = specs.map((s) => {
    const svg = renderChartSvg(s).replace('<svg ', `<svg x="0" y="${y}" `);
    y += s.height;
    return svg;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

/**
 * The A/B report as an SVG file: per slot, the rates per arm with intervals (one axis per metric) and the
 * differences to the control, the same specs as the console's Experiments page.
 */
export function renderAbReportSvg(report: AbReport, basis: Basis = 'perImpression'): string {
  if (report.slots.length === 0)
    return renderChartSvg({
      width: 480,
      height: 80,
      option: {
        animation: false,
        backgroundColor: '#ffffff',
        title: { text: 'osusume A/B report', subtext: 'no impressions in this range', left: 10, top: 10 },
      },
    });
  return renderChartsSvg(
    report.slots.flatMap((s) =>
      s.arms.length > 1
        ? [abRatesChart(report, s, basis), abDifferenceChart(s, basis)]
        : [abRatesChart(report, s, basis)],
    ),
  );
}

/** `osusume evaluate`'s SVG: the console's chart of the same metrics. */
export function renderEvaluationSvg(result: EvaluationResult): string {
  return renderChartSvg(evaluationChart(result));
}
