import type { EvaluationResult } from './evaluate.js';
import type { MetricInterval } from './metrics.js';

/** Colour per algorithm (cycled), readable on white and for common colour-vision deficiencies. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Renders an evaluation as a grouped bar chart (one group per metric, one bar per algorithm, value labels,
 * 95 % confidence intervals as error bars, legend) in a self-contained SVG string. All metrics are in
 * [0, 1], so they share one axis.
 */
export function renderEvaluationSvg(result: EvaluationResult): string {
  const k = result.k;
  type Row = EvaluationResult['results'][number];
  const metrics: { label: string; get: (r: Row) => number; ci?: (r: Row) => MetricInterval }[] = [
    { label: `precision@${k}`, get: (r) => r.metrics.precision, ci: (r) => r.metrics.ci95.precision },
    { label: `recall@${k}`, get: (r) => r.metrics.recall, ci: (r) => r.metrics.ci95.recall },
    { label: `NDCG@${k}`, get: (r) => r.metrics.ndcg, ci: (r) => r.metrics.ci95.ndcg },
    { label: `MAP@${k}`, get: (r) => r.metrics.map, ci: (r) => r.metrics.ci95.map },
    { label: 'MRR', get: (r) => r.metrics.mrr, ci: (r) => r.metrics.ci95.mrr },
    { label: 'coverage', get: (r) => r.metrics.coverage },
  ];
  const algos = result.results;
  const barW = 22;
  const gap = 28;
  const groupW = Math.max(1, algos.length) * barW + gap;
  const left = 50;
  const top = 50;
  const plotH = 260;
  const legendW = 200;
  const width = left + metrics.length * groupW + legendW;
  const height = top + plotH + 60;
  let max = 0;
  for (const m of metrics) for (const r of algos) max = Math.max(max, m.ci ? m.ci(r)[1] : m.get(r));
  // round the axis up to the next 0.1 so small values stay visible
  const axisMax = Math.min(1, Math.max(0.1, Math.ceil(max * 10) / 10));
  const y = (v: number) => top + plotH - (v / axisMax) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="14" font-weight="bold">${escapeXml(
      `osusume offline evaluation: protocol ${result.protocol}, K=${k}, seed ${result.seed}`,
    )}</text>`,
    `<text x="${left}" y="38" fill="#555">${escapeXml(
      `${result.dataset.users} users, ${result.dataset.items} items, ${result.dataset.interactions} interactions; ${result.split.testUsers} test users; error bars: 95% confidence intervals over users`,
    )}</text>`,
  );
  for (let t = 0; t <= 5; t++) {
    const v = (axisMax * t) / 5;
    const yy = y(v).toFixed(1);
    out.push(
      `<line x1="${left}" x2="${left + metrics.length * groupW}" y1="${yy}" y2="${yy}" stroke="#e0e0e0"/>`,
      `<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#555">${v.toFixed(2)}</text>`,
    );
  }
  metrics.forEach((m, g) => {
    const gx = left + g * groupW + gap / 2;
    algos.forEach((r, a) => {
      const v = m.get(r);
      const x = gx + a * barW;
      const yy = y(v);
      const ci = m.ci?.(r);
      const range = ci ? ` (95% CI ${ci[0].toFixed(4)}–${ci[1].toFixed(4)})` : '';
      out.push(
        `<rect x="${x}" y="${yy.toFixed(1)}" width="${barW - 2}" height="${(top + plotH - yy).toFixed(1)}" fill="${PALETTE[a % PALETTE.length]}"><title>${escapeXml(`${r.algorithm} ${m.label} ${v.toFixed(4)}${range}`)}</title></rect>`,
      );
      const cx = x + (barW - 2) / 2;
      if (ci) {
        const [lo, hi] = [y(ci[0]).toFixed(1), y(ci[1]).toFixed(1)];
        out.push(
          `<path class="ci" d="M${cx} ${lo}V${hi}M${cx - 3} ${lo}h6M${cx - 3} ${hi}h6" stroke="#333" stroke-width="1" fill="none"/>`,
        );
      }
      const labelY = ci ? Math.min(yy, y(ci[1])) : yy;
      out.push(
        `<text x="${cx}" y="${(labelY - 3).toFixed(1)}" text-anchor="middle" font-size="8">${v.toFixed(3)}</text>`,
      );
    });
    out.push(
      `<text x="${gx + (algos.length * barW) / 2}" y="${top + plotH + 18}" text-anchor="middle">${escapeXml(m.label)}</text>`,
    );
  });
  out.push(
    `<line x1="${left}" x2="${left + metrics.length * groupW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`,
  );
  const lx = left + metrics.length * groupW + 20;
  algos.forEach((r, a) => {
    const ly = top + a * 20;
    out.push(
      `<rect x="${lx}" y="${ly}" width="12" height="12" fill="${PALETTE[a % PALETTE.length]}"/>`,
      `<text x="${lx + 18}" y="${ly + 10}">${escapeXml(`${r.algorithm} (train ${(r.trainMs / 1000).toFixed(1)} s)`)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
