import { EVENT_TYPES } from '../events/events.js';
import { type AbReport, RATE_LABELS } from './ab-report.js';

// the same colour-blind-safe palette as the offline evaluation chart (svg-chart.ts)
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Renders an A/B report as a self-contained SVG: one panel per slot, one group per rate (view, favorite,
 * add-to-cart, purchase per impression or per user), one bar per arm with its 95% interval as a whisker.
 * Each rate group has its own scale (bars are labelled), since view rates dwarf purchase rates.
 */
export function renderAbReportSvg(
  report: AbReport,
  basis: 'perImpression' | 'perUser' = 'perImpression',
): string {
  const barW = 26;
  const gap = 34;
  const left = 30;
  const plotH = 200;
  const panelGap = 80;
  const maxArms = Math.max(1, ...report.slots.map((s) => s.arms.length));
  const groupW = maxArms * barW + gap;
  const legendW = 190;
  const width = left + EVENT_TYPES.length * groupW + legendW;
  const panels = Math.max(1, report.slots.length);
  const height = 60 + panels * (plotH + panelGap);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="${left}" y="22" font-size="14" font-weight="bold">${escapeXml(
      `osusume A/B: rates per ${basis === 'perImpression' ? 'impression' : 'user'} with 95% intervals`,
    )}</text>`,
    `<text x="${left}" y="38" fill="#555">${escapeXml(`${report.since} .. ${report.until}, attribution window ${report.windowHours} h`)}</text>`,
  ];
  if (report.slots.length === 0)
    out.push(`<text x="${left}" y="80" fill="#555">no impressions in this range</text>`);
  report.slots.forEach((slot, p) => {
    const top = 70 + p * (plotH + panelGap);
    const base = top + plotH;
    out.push(
      `<text x="${left}" y="${top - 8}" font-weight="bold">${escapeXml(`slot ${slot.slot} (control ${slot.control})`)}</text>`,
      `<line x1="${left}" x2="${left + EVENT_TYPES.length * groupW}" y1="${base}" y2="${base}" stroke="#888"/>`,
    );
    EVENT_TYPES.forEach((type, g) => {
      const gx = left + g * groupW + gap / 2;
      // each rate gets its own axis: the largest upper bound in the group fills 85% of the height
      const maxHigh = Math.max(1e-9, ...slot.arms.map((a) => a[basis][type].high));
      const y = (v: number) => base - (v / maxHigh) * plotH * 0.85;
      slot.arms.forEach((arm, a) => {
        const r = arm[basis][type];
        const x = gx + a * barW;
        const colour = PALETTE[a % PALETTE.length];
        const yTop = y(r.rate);
        out.push(
          `<rect x="${x + 2}" y="${yTop.toFixed(1)}" width="${barW - 4}" height="${(base - yTop).toFixed(1)}" fill="${colour}"><title>${escapeXml(
            `${arm.arm} ${RATE_LABELS[type]}: ${(r.rate * 100).toFixed(2)}% [${(r.low * 100).toFixed(2)}%, ${(r.high * 100).toFixed(2)}%] (${r.successes}/${r.trials})`,
          )}</title></rect>`,
          // whisker: the 95% interval
          `<line x1="${x + barW / 2}" x2="${x + barW / 2}" y1="${y(r.low).toFixed(1)}" y2="${y(r.high).toFixed(1)}" stroke="#222" stroke-width="1.2"/>`,
          `<line x1="${x + barW / 2 - 5}" x2="${x + barW / 2 + 5}" y1="${y(r.high).toFixed(1)}" y2="${y(r.high).toFixed(1)}" stroke="#222" stroke-width="1.2"/>`,
          `<line x1="${x + barW / 2 - 5}" x2="${x + barW / 2 + 5}" y1="${y(r.low).toFixed(1)}" y2="${y(r.low).toFixed(1)}" stroke="#222" stroke-width="1.2"/>`,
          `<text x="${x + barW / 2}" y="${(y(r.high) - 4).toFixed(1)}" text-anchor="middle" font-size="9" fill="#333">${(r.rate * 100).toFixed(1)}</text>`,
        );
      });
      out.push(
        `<text x="${gx + (slot.arms.length * barW) / 2}" y="${base + 16}" text-anchor="middle">${escapeXml(`${RATE_LABELS[type]} (%)`)}</text>`,
      );
    });
    slot.arms.forEach((arm, a) => {
      const lx = left + EVENT_TYPES.length * groupW + 10;
      const ly = top + 10 + a * 18;
      out.push(
        `<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${PALETTE[a % PALETTE.length]}"/>`,
        `<text x="${lx + 18}" y="${ly + 1}">${escapeXml(`${arm.arm}${arm.arm === slot.control ? ' (control)' : ''}: ${arm.impressions} imp., ${arm.users} users`)}</text>`,
      );
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
