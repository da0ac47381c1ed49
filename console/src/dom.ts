/** Small DOM helpers: elements from tag, attributes and children (text is always set as text, never HTML). */

type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | ((e: Event) => void)> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') e.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) e.setAttribute(k, '');
    else if (v !== false) e.setAttribute(k, v);
  }
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) e.append(typeof c === 'number' ? String(c) : c);
  return e;
}

/** A table with a caption, header cells and rows; cells starting with a digit, sign or % align right. */
export function table(
  caption: string,
  head: string[],
  rows: Child[][],
  numeric: number[] = [],
): HTMLTableElement {
  const num = new Set(numeric);
  return el(
    'table',
    {},
    el('caption', {}, caption),
    el(
      'thead',
      {},
      el('tr', {}, ...head.map((h, i) => el('th', { scope: 'col', class: num.has(i) ? 'num' : '' }, h))),
    ),
    el(
      'tbody',
      {},
      ...rows.map((r) => el('tr', {}, ...r.map((c, i) => el('td', { class: num.has(i) ? 'num' : '' }, c)))),
    ),
  );
}

export const pct = (v: number, digits = 2) => `${(v * 100).toFixed(digits)}%`;
export const interval = (v: { rate: number; low: number; high: number }) =>
  `${pct(v.rate)} [${(v.low * 100).toFixed(2)}, ${(v.high * 100).toFixed(2)}]`;

export function errorBox(err: unknown): HTMLElement {
  return el('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err));
}
