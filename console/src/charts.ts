import { CHART_THEME, echarts } from '../../shared/adapters/charts/echarts-core.js';
import type { ChartSpec } from '../../shared/domain/charts/chart-specs.js';

/** Draws a shared chart spec into a new figure element labelled `label` (the table next to it has the numbers). */
export function chartFigure(spec: ChartSpec, label: string): HTMLElement {
  const figure = document.createElement('figure');
  figure.className = 'chart';
  figure.setAttribute('aria-label', label);
  const box = document.createElement('div');
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', `${label} (chart; the numbers are in the table below)`);
  box.style.width = `${spec.width}px`;
  box.style.height = `${spec.height}px`;
  figure.append(box);
  const chart = echarts.init(box, CHART_THEME, { renderer: 'svg', width: spec.width, height: spec.height });
  // ECharts' aria option would overwrite our label with a generated description of every series
  chart.setOption({ ...spec.option, aria: { enabled: false } });
  return figure;
}
