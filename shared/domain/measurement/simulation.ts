import type { Dataset } from '../data/dataset.js';
import type { EventType } from '../events/events.js';

/**
 * Names datasets use for event types, lower-cased → canonical (Taobao pv/fav/cart/buy, RetailRocket, ...).
 * A Map: the names come from a CSV, and a plain object would also "know" `constructor`.
 */
const KNOWN_TYPES: ReadonlyMap<string, EventType> = new Map([
  ['', 'view'],
  ['view', 'view'],
  ['pv', 'view'],
  ['click', 'view'],
  ['watch', 'view'],
  ['rating', 'view'],
  ['favorite', 'favorite'],
  ['fav', 'favorite'],
  ['like', 'favorite'],
  ['cart', 'cart'],
  ['addtocart', 'cart'],
  ['add-to-cart', 'cart'],
  ['purchase', 'purchase'],
  ['buy', 'purchase'],
  ['order', 'purchase'],
  ['transaction', 'purchase'],
]);

/** The canonical type of a dataset's event type name; unknown names count as views. */
export function canonicalEventType(name: string): EventType {
  return KNOWN_TYPES.get(name.toLowerCase()) ?? 'view';
}

/** A per-user temporal split for replaying a dataset against the API. */
export interface HoldOut {
  /** Row indices of the training part (what the API should be started on). */
  readonly trainRows: Int32Array;
  /** Per user index: held-out item index → canonical event types, in time order. */
  readonly heldOut: Map<number, Map<number, EventType[]>>;
}

/**
 * Holds out each user's last `fraction` of interactions (at least one, and only for users with at least
 * two), by timestamp with row order breaking ties; deterministic, so the training part written before
 * `npm start` and the replay agree.
 */
export function holdOutLast(dataset: Dataset, fraction: number): HoldOut {
  const x = dataset.interactions;
  const nUsers = dataset.users.size;
  const counts = new Int32Array(nUsers + 1);
  for (let r = 0; r < x.length; r++) counts[x.user[r] + 1]++;
  for (let u = 0; u < nUsers; u++) counts[u + 1] += counts[u];
  const rows = new Int32Array(x.length);
  const fill = counts.slice(0, nUsers);
  for (let r = 0; r < x.length; r++) rows[fill[x.user[r]]++] = r;
  const held = new Uint8Array(x.length);
  const heldOut = new Map<number, Map<number, EventType[]>>();
  for (let u = 0; u < nUsers; u++) {
    const own = Array.from(rows.subarray(counts[u], counts[u + 1]));
    if (own.length < 2) continue;
    own.sort((a, b) => x.timestamp[a] - x.timestamp[b] || a - b);
    const k = Math.min(own.length - 1, Math.max(1, Math.round(own.length * fraction)));
    const items = new Map<number, EventType[]>();
    for (const r of own.slice(own.length - k)) {
      held[r] = 1;
      const types = items.get(x.item[r]) ?? [];
      types.push(canonicalEventType(dataset.eventTypes.ids[x.eventType[r]] ?? ''));
      items.set(x.item[r], types);
    }
    heldOut.set(u, items);
  }
  const train: number[] = [];
  for (let r = 0; r < x.length; r++) if (!held[r]) train.push(r);
  return { trainRows: Int32Array.from(train), heldOut };
}

/** interactions.csv text of the given rows (the 3-CSV contract's columns). */
export function interactionsCsv(dataset: Dataset, rows: ArrayLike<number>): string {
  const x = dataset.interactions;
  const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const lines = ['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE'];
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    const v = x.eventValue[r];
    lines.push(
      `${q(dataset.users.ids[x.user[r]])},${q(dataset.items.ids[x.item[r]])},${x.timestamp[r]},${q(
        dataset.eventTypes.ids[x.eventType[r]] ?? '',
      )},${Number.isNaN(v) ? '' : v}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
