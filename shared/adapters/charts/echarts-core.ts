import { CustomChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { PALETTE } from '../../domain/charts/chart-specs.js';

/**
 * The one ECharts set-up of the console (browser) and the CLI (Node, server-side rendering): the components
 * the shared chart specs use, the SVG renderer, and the Okabe–Ito palette as the default colours. Tree-shaken
 * `echarts/core`, so the console bundle carries only these.
 */
echarts.use([
  CustomChart,
  LineChart,
  ScatterChart,
  AriaComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  SVGRenderer,
]);

/** Theme name both renderers init with: the colour-blind-safe palette for anything a spec leaves uncoloured. */
export const CHART_THEME = 'osusume';
echarts.registerTheme(CHART_THEME, { color: [...PALETTE] });

export { echarts };
