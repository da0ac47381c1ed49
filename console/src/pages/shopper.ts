import { api, optionalRoute } from '../api.js';
import { el, errorBox, table } from '../dom.js';
import type { ModelsOverview, Recommendations } from '../types.js';

/** `GENDER=f, AGE_GROUP=25-34` → query pairs (a new visitor's attributes pick their popularity segment). */
function attributePairs(text: string): [string, string][] {
  return text
    .split(/[,&\n]/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const i = p.indexOf('=');
      return i < 0 ? [p, ''] : [p.slice(0, i).trim(), p.slice(i + 1).trim()];
    });
}

/** One arm's list as a table: rank, item, its attributes (when asked for), score and where the item came from. */
export function listTable(caption: string, list: Recommendations): HTMLElement {
  const attributes = list.itemList.some((it) => it.metadata);
  return table(
    caption,
    ['#', 'item', ...(attributes ? ['attributes'] : []), 'score', 'source'],
    list.itemList.map((it, i) => [
      i + 1,
      it.itemId,
      ...(attributes
        ? [
            Object.entries(it.metadata ?? {})
              .map(([k, v]) => `${k}: ${v}`)
              .join(', '),
          ]
        : []),
      it.score.toFixed(3),
      it.source,
    ]),
    attributes ? [0, 3] : [0, 2],
  );
}

/** Fetches a user's preview list from one arm (admin route; never recorded as an impression). */
export function preview(userId: string, params: [string, string][]): Promise<Recommendations> {
  const q = new URLSearchParams(params);
  return api<Recommendations>(`/admin/users/${encodeURIComponent(userId)}/recommendations?${q}`);
}

/**
 * A session's list from one arm with the client-held recent items (`items=`, read-only), from the admin
 * session preview: never recorded, and admin-only as the user preview is (on AWS no app-key call is admin).
 */
export function sessionPreview(
  sessionId: string,
  recentItems: string[],
  params: [string, string][],
): Promise<Recommendations> {
  const q = new URLSearchParams(params);
  if (recentItems.length) q.set('items', recentItems.join(','));
  return api<Recommendations>(`/admin/sessions/${encodeURIComponent(sessionId)}/recommendations?${q}`);
}

/** Related-item routes (app routes, with the app key npm start puts in the console's URL), shown where they exist. */
const RELATED = [
  { name: 'Similar items', path: (id: string) => `/items/${encodeURIComponent(id)}/similar` },
  { name: 'Bought together', path: (id: string) => `/items/${encodeURIComponent(id)}/bought-together` },
];

/** Try a shopper: a user's (or a new visitor's) list from every arm of a slot, side by side. */
export async function shopperPage(root: HTMLElement): Promise<void> {
  const models = await api<ModelsOverview>('/admin/models');
  const slots = models.experiments.slots;
  const user = el('input', { id: 'shopper-user', value: 'u000001', required: true, autocomplete: 'off' });
  const attrs = el('input', {
    id: 'shopper-attrs',
    placeholder: 'GENDER=f, AGE_GROUP=25-34',
    autocomplete: 'off',
  });
  const session = el('input', { id: 'shopper-session', placeholder: 'console-preview', autocomplete: 'off' });
  const recent = el('input', { id: 'shopper-items', placeholder: 'i0001, i0002', autocomplete: 'off' });
  const count = el('input', { id: 'shopper-n', type: 'number', min: '1', max: '100', value: '10' });
  const slot = el(
    'select',
    { id: 'shopper-slot' },
    ...slots.map((s) =>
      el('option', { value: s.slot, selected: s.slot === models.experiments.defaultSlot }, s.slot),
    ),
  );
  const out = el('div', { 'aria-live': 'polite' });
  const related = el('div', { class: 'columns' });
  const draw = async () => {
    const s = slots.find((x) => x.slot === slot.value) ?? slots[0];
    const extra = attributePairs(attrs.value);
    // items.csv columns, as many as a request may ask for (MAX_METADATA_COLUMNS defaults to 10)
    if (models.itemColumns.length) extra.push(['metadata', models.itemColumns.slice(0, 10).join(',')]);
    const recentItems = recent.value
      .split(/[\s,]+/)
      .map((x) => x.trim())
      .filter(Boolean);
    // a session id or recent items ask the session preview instead of the user preview
    const sessionId = session.value.trim() || (recentItems.length ? 'console-preview' : '');
    const lists = await Promise.all(
      s.arms.map((a) => {
        const params: [string, string][] = [
          ['arm', a.name],
          ['slot', s.slot],
          ['numResults', count.value],
          ...extra,
        ];
        return sessionId
          ? sessionPreview(sessionId, recentItems, params)
          : preview(user.value.trim(), params);
      }),
    );
    out.replaceChildren(
      el(
        'div',
        { class: 'columns' },
        ...lists.map((l, i) =>
          el(
            'div',
            { 'data-arm': s.arms[i].name },
            el('h2', {}, `${s.arms[i].name} (${s.arms[i].algorithm})${l.degraded ? ', degraded' : ''}`),
            listTable(`Arm ${s.arms[i].name}`, l),
          ),
        ),
      ),
    );
    const first = lists.find((l) => l.itemList.length)?.itemList[0]?.itemId;
    related.replaceChildren();
    if (first)
      for (const r of RELATED) {
        const body = await optionalRoute<Recommendations>(`${r.path(first)}?numResults=${count.value}`, {
          app: true,
        });
        if (!body) continue;
        related.append(
          el(
            'div',
            {},
            el('h2', {}, `${r.name}: ${first}`),
            listTable(`${r.name} of ${first} (arm ${body.arm})`, body),
          ),
        );
      }
  };
  const form = el(
    'form',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        draw().catch((err) => out.replaceChildren(errorBox(err)));
      },
    },
    el('label', { for: 'shopper-user' }, 'User id', user),
    el('label', { for: 'shopper-attrs' }, 'Attributes of a new visitor (optional)', attrs),
    el('label', { for: 'shopper-session' }, 'Session id (optional; replaces the user id)', session),
    el('label', { for: 'shopper-items' }, 'Recent items of the session, oldest first (optional)', recent),
    el('label', { for: 'shopper-slot' }, 'Slot', slot),
    el('label', { for: 'shopper-n' }, 'Items', count),
    el('button', { type: 'submit' }, 'Show lists'),
  );
  root.append(
    el(
      'p',
      { class: 'note' },
      'Every arm of the slot for the same shopper (admin preview: not recorded as an impression). An unknown user id with attributes is a new visitor. Recent items are sent with the request only (items=): no event is posted, so nothing reaches training.',
    ),
    form,
    out,
    related,
  );
  await draw();
}
