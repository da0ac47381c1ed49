import type { EChartsOption } from 'echarts';

/**
 * Okabe–Ito: distinguishable under the common colour-vision deficiencies and in greyscale order; one colour per
 * arm or algorithm, in order.
 */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#000000',
  '#F0E442',
];

/** A value with its 95% interval (low/high absent when none is known). */
export interface IntervalValue {
  readonly value: number;
  readonly low?: number;
  readonly high?: number;
}

/** One panel: one metric, one shared value axis, one point (with its interval) per category. */
export interface IntervalPanel {
  readonly title: string;
  /** Category labels (arms, algorithms), in drawing order; colour i goes to category i. */
  readonly categories: readonly string[];
  readonly points: readonly IntervalValue[];
  /** `%` multiplies by 100 on the axis and in labels; `pt` is a difference in percentage points. */
  readonly unit: '%' | 'pt' | '';
  /** Colour per category (default PALETTE in order), so an arm keeps its colour across charts. */
  readonly colours?: readonly string[];
  /** A reference line (0 for differences). */
  readonly reference?: number;
}

/** A chart definition: the ECharts option and the size it is drawn at, shared by the console and the CLI. */
export interface ChartSpec {
  readonly width: number;
  readonly height: number;
  readonly option: EChartsOption;
}

const PANEL_H = 230;
const HEADER_H = 64;
const COLUMN_W = 470;

function format(v: number, unit: IntervalPanel['unit']): string {
  if (unit === '%') return `${(v * 100).toFixed(v < 0.1 ? 2 : 1)}%`;
  if (unit === 'pt') return `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)} pt`;
  return v.toFixed(3);
}

function axisFormat(unit: IntervalPanel['unit']): (v: number) => string {
  if (unit === '%') return (v) => `${+(v * 100).toFixed(2)}%`;
  if (unit === 'pt') return (v) => `${+(v * 100).toFixed(2)}`;
  return (v) => `${+v.toFixed(3)}`;
}

interface ErrorBarApi {
  value(dim: number): number;
  coord(p: [number, number]): [number, number];
  size(v: [number, number]): [number, number];
  style(): Record<string, unknown>;
}

/** Draws [x, low, high] as a whisker with caps (ECharts has no error-bar series; this is its documented custom series). */
function errorBar(stroke: string | ((i: number) => string)) {
  return (params: { dataIndex: number }, api: ErrorBarApi) => {
    const x = api.value(0);
    const hi = api.coord([x, api.value(2)]);
    const lo = api.coord([x, api.value(1)]);
    const cap = Math.min(10, api.size([1, 0])[0] * 0.12);
    const colour = typeof stroke === 'string' ? stroke : stroke(params.dataIndex);
    const style = { stroke: colour, lineWidth: 1.6 };
    return {
      type: 'group',
      children: [
        { type: 'line', shape: { x1: hi[0], y1: hi[1], x2: lo[0], y2: lo[1] }, style },
        { type: 'line', shape: { x1: hi[0] - cap, y1: hi[1], x2: hi[0] + cap, y2: hi[1] }, style },
        { type: 'line', shape: { x1: lo[0] - cap, y1: lo[1], x2: lo[0] + cap, y2: lo[1] }, style },
      ],
    };
  };
}

/** A panel chart's spec: the options every chart shares (static, accessible, one font), then its own parts. */
function panelChart(width: number, height: number, parts: Record<string, unknown>): ChartSpec {
  return {
    width,
    height,
    option: {
      animation: false,
      backgroundColor: '#ffffff',
      aria: { enabled: true },
      textStyle: { fontFamily: 'sans-serif' },
      ...parts,
    } as EChartsOption,
  };
}

/**
 * The frame both panel charts share: a title block of `header` px, then panels two a row, each with its grid
 * and bold title at the same offsets.
 */
function panelFrame(title: string, subtitle: string, panelTitles: readonly string[], header: number) {
  const cols = panelTitles.length > 1 ? 2 : 1;
  const rows = Math.max(1, Math.ceil(panelTitles.length / cols));
  const grid: object[] = [];
  const titles: object[] = [
    { text: title, subtext: subtitle, left: 10, top: 4, textStyle: { fontSize: 15 } },
  ];
  panelTitles.forEach((text, i) => {
    const left = 10 + (i % cols) * COLUMN_W;
    const top = header + Math.floor(i / cols) * PANEL_H;
    grid.push({ left: left + 58, top: top + 28, width: COLUMN_W - 90, height: PANEL_H - 84 });
    titles.push({ text, left: left + 58, top: top + 4, textStyle: { fontSize: 13, fontWeight: 'bold' } });
  });
  return { width: cols * COLUMN_W + 20, height: header + rows * PANEL_H + 10, grid, titles };
}

/**
 * Panels of point estimates with 95% intervals, each panel with its own labelled value axis (so a 1.7 % rate is
 * never drawn at the height of a 54 % one), categories on the x axis (no legend to cut off), two panels a row.
 */
export function intervalPanels(title: string, subtitle: string, panels: readonly IntervalPanel[]): ChartSpec {
  const { width, height, grid, titles } = panelFrame(
    title,
    subtitle,
    panels.map((p) => p.title),
    HEADER_H,
  );
  const xAxis: object[] = [];
  const yAxis: object[] = [];
  const series: object[] = [];
  panels.forEach((p, i) => {
    xAxis.push({
      type: 'category',
      gridIndex: i,
      data: [...p.categories],
      axisLabel: {
        interval: 0,
        fontSize: 11,
        lineHeight: 14,
        color: '#333',
        width: (COLUMN_W - 90) / Math.max(1, p.categories.length),
        overflow: 'truncate',
      },
    });
    // a value axis includes 0 unless told otherwise: differences keep their sign visible against it
    yAxis.push({
      type: 'value',
      gridIndex: i,
      axisLabel: { formatter: axisFormat(p.unit), fontSize: 10 },
      splitLine: { lineStyle: { color: '#e4e4e4' } },
    });
    const colour = (j: number) => p.colours?.[j] ?? PALETTE[j % PALETTE.length];
    series.push({
      type: 'custom',
      name: `${p.title} 95% interval`,
      xAxisIndex: i,
      yAxisIndex: i,
      renderItem: errorBar(colour),
      encode: { x: 0, y: [1, 2] },
      data: p.points.map((v, j) => [j, v.low ?? v.value, v.high ?? v.value]),
      z: 2,
      silent: true,
    });
    series.push({
      type: 'scatter',
      name: p.title,
      xAxisIndex: i,
      yAxisIndex: i,
      symbolSize: 9,
      z: 3,
      data: p.points.map((v, j) => ({
        value: [j, v.value],
        itemStyle: { color: colour(j) },
        label: {
          show: true,
          position: 'right',
          distance: 12,
          fontSize: 10,
          lineHeight: 12,
          color: '#222',
          formatter: () =>
            v.low === undefined
              ? format(v.value, p.unit)
              : `${format(v.value, p.unit)}\n[${format(v.low, p.unit)}, ${format(v.high ?? v.value, p.unit)}]`,
        },
      })),
      markLine:
        p.reference === undefined
          ? undefined
          : {
              silent: true,
              symbol: 'none',
              label: { show: false },
              lineStyle: { color: '#555', type: 'dashed' },
              data: [{ yAxis: p.reference }],
            },
    });
  });
  return panelChart(width, height, {
    title: titles,
    tooltip: { trigger: 'item' },
    grid,
    xAxis,
    yAxis,
    series,
  });
}

/** One line per series over dates, each point with its interval when known. */
export interface TimePanel {
  readonly title: string;
  readonly dates: readonly string[];
  readonly series: readonly { name: string; values: readonly (IntervalValue | null)[] }[];
  readonly unit: '%' | '';
}

/**
 * Panels of lines over time (one per series, a shared legend at the top that wraps instead of being cut off),
 * with 95% intervals as whiskers at each point; each panel has its own labelled value axis.
 */
export function timePanels(title: string, subtitle: string, panels: readonly TimePanel[]): ChartSpec {
  const names = [...new Set(panels.flatMap((p) => p.series.map((s) => s.name)))];
  const legendRows = Math.ceil(names.length / 6);
  const { width, height, grid, titles } = panelFrame(
    title,
    subtitle,
    panels.map((p) => p.title),
    HEADER_H + legendRows * 20,
  );
  const colourOf = (name: string) => PALETTE[names.indexOf(name) % PALETTE.length];
  const xAxis: object[] = [];
  const yAxis: object[] = [];
  const series: object[] = [];
  panels.forEach((p, i) => {
    xAxis.push({
      type: 'category',
      gridIndex: i,
      data: [...p.dates],
      axisLabel: { fontSize: 10, hideOverlap: true },
    });
    yAxis.push({
      type: 'value',
      gridIndex: i,
      min: 0,
      axisLabel: { formatter: axisFormat(p.unit), fontSize: 10 },
      splitLine: { lineStyle: { color: '#e4e4e4' } },
    });
    for (const s of p.series) {
      const colour = colourOf(s.name);
      series.push({
        type: 'line',
        name: s.name,
        xAxisIndex: i,
        yAxisIndex: i,
        color: colour,
        symbolSize: 6,
        connectNulls: true,
        data: s.values.map((v) => (v ? v.value : null)),
      });
      if (s.values.some((v) => v?.low !== undefined))
        series.push({
          type: 'custom',
          name: s.name,
          xAxisIndex: i,
          yAxisIndex: i,
          renderItem: errorBar(colour),
          encode: { x: 0, y: [1, 2] },
          data: s.values.flatMap((v, j) => (v && v.low !== undefined ? [[j, v.low, v.high ?? v.value]] : [])),
          silent: true,
        });
    }
  });
  return panelChart(width, height, {
    title: titles,
    legend: { data: names, top: HEADER_H - 6, left: 10, width: width - 20, itemGap: 16 },
    tooltip: { trigger: 'axis' },
    grid,
    xAxis,
    yAxis,
    series,
  });
}
