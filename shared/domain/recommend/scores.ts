import type { ScoredItem } from '../../ports/types.js';

/**
 * Scores of one source's candidate list scaled to [0, 1], so that items from different sources in one
 * answer are on the same scale: s / max when every score is >= 0 (the best is 1, 0 stays 0), else
 * (s - min) / (max - min). A list whose scores are all equal maps to 1. The order is unchanged.
 */
export function normalisedScores(items: readonly ScoredItem[]): Float64Array {
  const out = new Float64Array(items.length);
  if (items.length === 0) return out;
  let max = Number.NEGATIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  for (const { score } of items) {
    if (score > max) max = score;
    if (score < min) min = score;
  }
  if (!(max > min)) return out.fill(1);
  const shift = Math.min(min, 0);
  const span = max - shift;
  for (let k = 0; k < items.length; k++) out[k] = Math.round(((items[k].score - shift) / span) * 1e6) / 1e6;
  return out;
}

/** Why an item was shown, by the source that filled it (the part before `:` for labelled variants). */
const REASONS: ReadonlyMap<string, string> = new Map([
  ['cf', 'customers with a similar history chose it'],
  ['fm', 'predicted from your history and attributes'],
  ['session', 'follows what you did recently'],
  ['personalize', 'recommended by Amazon Personalize'],
  ['personalize-standin', 'local stand-in for Amazon Personalize'],
  ['personalize-off', 'Amazon Personalize is off: another arm answered'],
  ['cf-items', 'customers who chose this item also chose it'],
  ['session-items', 'viewed in the same sessions as this item'],
  ['similar-items', 'customers who viewed this item also viewed it'],
  ['attribute-items', 'shares attributes with this item'],
  ['bought-together', 'bought together with this item'],
  ['ranking', 'ranked in this list'],
  ['popularity', 'popular'],
  ['unranked', 'no signal for this item'],
]);

/** One `reason` array per source: every item of a source shares it (nothing mutates a served reason). */
const REASON_CACHE = new Map<string, string[]>();

/** Personalize-style `reason` of an item served from `source` (e.g. `popularity:segment`). */
export function reasonOf(source: string): string[] {
  let reason = REASON_CACHE.get(source);
  if (reason === undefined) {
    reason = reasonText(source);
    // sources are a small fixed set of labels; the bound only guards against a misuse
    if (REASON_CACHE.size < 1000) REASON_CACHE.set(source, reason);
  }
  return reason;
}

function reasonText(source: string): string[] {
  const colon = source.indexOf(':');
  const head = colon < 0 ? source : source.slice(0, colon);
  const tail = colon < 0 ? '' : source.slice(colon + 1);
  if (head === 'popularity') {
    if (tail === 'segment') return ['popular with customers like you'];
    if (tail === 'category') return ["popular in this item's category"];
    if (tail === 'attribute') return ['popular among the items the filter allows'];
    return ['popular'];
  }
  return [REASONS.get(head) ?? REASONS.get(tail) ?? source];
}
