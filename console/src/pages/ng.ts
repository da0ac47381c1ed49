import { api } from '../api.js';
import { el, errorBox, table } from '../dom.js';
import type { NgItem } from '../types.js';
import { listTable, preview } from './shopper.js';

/** NG items: the list, add with a reason, remove; a shopper's preview list refreshes after each change. */
export async function ngPage(root: HTMLElement): Promise<void> {
  const listBox = el('div');
  const status = el('p', { role: 'status', class: 'note' });
  const previewUser = el('input', { id: 'ng-preview-user', value: 'u000001', autocomplete: 'off' });
  const previewBox = el('div', { 'aria-live': 'polite' });
  const refreshPreview = async () => {
    const list = await preview(previewUser.value.trim(), [['numResults', '10']]);
    previewBox.replaceChildren(listTable(`Preview for ${list.userId} (arm ${list.arm})`, list));
  };
  const refresh = async () => {
    const items: NgItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await api<{ items: NgItem[]; nextCursor?: string }>(
        `/ng-items?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && items.length < 10_000);
    items.sort((a, b) => b.createdAt - a.createdAt);
    listBox.replaceChildren(
      items.length
        ? table(
            `NG items (${items.length})`,
            ['item', 'reason', 'added', ''],
            items.map((it) => [
              it.itemId,
              it.reason ?? '',
              new Date(it.createdAt).toISOString().replace('T', ' ').slice(0, 19),
              el(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'aria-label': `Remove ${it.itemId}`,
                  onclick: () =>
                    void change(
                      () => api(`/ng-items/${encodeURIComponent(it.itemId)}`, { method: 'DELETE' }),
                      `Removed ${it.itemId}.`,
                    ),
                },
                'Remove',
              ),
            ]),
          )
        : el('p', {}, 'The NG list is empty.'),
    );
    await refreshPreview();
  };
  const change = async (op: () => Promise<unknown>, done: string) => {
    try {
      await op();
      await refresh();
      // said once the list and the preview show the change
      status.textContent = done;
    } catch (err) {
      status.replaceChildren(errorBox(err));
    }
  };
  const itemId = el('input', { id: 'ng-item', required: true, autocomplete: 'off' });
  const reason = el('input', { id: 'ng-reason', placeholder: 'out of stock', autocomplete: 'off' });
  const form = el(
    'form',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        const id = itemId.value.trim();
        void change(
          () =>
            api(`/ng-items/${encodeURIComponent(id)}`, {
              method: 'PUT',
              body: reason.value.trim() ? { reason: reason.value.trim() } : {},
            }),
          `Added ${id}.`,
        ).then(() => {
          itemId.value = '';
          reason.value = '';
        });
      },
    },
    el('label', { for: 'ng-item' }, 'Item id', itemId),
    el('label', { for: 'ng-reason' }, 'Reason', reason),
    el('button', { type: 'submit' }, 'Add to NG list'),
  );
  const previewForm = el(
    'form',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        refreshPreview().catch((err) => previewBox.replaceChildren(errorBox(err)));
      },
    },
    el('label', { for: 'ng-preview-user' }, 'Preview user id', previewUser),
    el('button', { type: 'submit', class: 'secondary' }, 'Show preview'),
  );
  root.append(
    el(
      'p',
      { class: 'note' },
      'NG items are never shown on any arm; a change applies to new requests at once in this process and within NG_CACHE_TTL_SECONDS elsewhere.',
    ),
    form,
    status,
    listBox,
    el('h2', {}, 'Preview'),
    previewForm,
    previewBox,
  );
  await refresh();
}
