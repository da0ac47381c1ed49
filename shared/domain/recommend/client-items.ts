import type { StoredEvent } from '../events/events.js';

/**
 * A session's events (newest first) with the client-held recent items of `items=` (oldest first) put in
 * front as views just now, one millisecond apart, newest first; at most `limit`. The items exist only for
 * this request: nothing stores them, so they never reach training.
 */
export function withClientItems(
  stored: readonly StoredEvent[],
  items: readonly string[] | undefined,
  sessionId: string,
  limit: number,
  now: number,
): StoredEvent[] {
  if (!items || items.length === 0) return stored.slice(0, limit);
  const newest = stored.length > 0 ? Math.max(now, stored[0].sentAt + 1) : now;
  // a session that carries a userId keeps naming its user, even when the items fill the whole window
  const userId = stored.find((e) => e.userId !== undefined)?.userId;
  const client: StoredEvent[] = [];
  for (let k = items.length - 1; k >= 0 && client.length < limit; k--)
    client.push({
      eventId: `client-item-${k}`,
      ...(userId !== undefined ? { userId } : {}),
      sessionId,
      eventType: 'view',
      rawEventType: 'view',
      itemId: items[k],
      sentAt: newest - (items.length - 1 - k),
    });
  return [...client, ...stored.slice(0, limit - client.length)];
}
