import { NotFoundError, ValidationError } from '../domain/errors.js';
import { parseId, parseIntParam } from '../domain/recommend/request.js';
import type { NgItemStore } from '../ports/stores.js';
import type { NgItem, Page } from '../ports/types.js';
import type { NgList } from './candidate-sources.js';

export interface NgDeps {
  readonly ngItems: NgItemStore;
  readonly ngList: NgList;
}

const MAX_REASON = 1000;

/** Parses the optional `{"reason": "..."}` body of PUT /ng-items/{itemId}. */
export function parseNgBody(body: string | undefined): { reason?: string } {
  if (body === undefined || body.trim() === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new ValidationError('body must be JSON like {"reason": "..."}', 'body');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError('body must be a JSON object', 'body');
  }
  const reason = (raw as Record<string, unknown>).reason;
  if (reason === undefined) return {};
  if (typeof reason !== 'string' || reason.length > MAX_REASON) {
    throw new ValidationError(`reason must be a string of at most ${MAX_REASON} characters`, 'reason');
  }
  return { reason };
}

/**
 * Adds (or updates) an NG item. Once this resolves, this process never serves the item (a scan already in
 * flight is discarded); other processes stop within NG_CACHE_TTL_SECONDS plus one scan.
 */
export async function putNgItem(
  deps: NgDeps,
  rawItemId: string | undefined,
  body: string | undefined,
): Promise<NgItem> {
  const itemId = parseId(rawItemId, 'itemId');
  const { reason } = parseNgBody(body);
  const item: NgItem = { itemId, createdAt: Date.now(), ...(reason !== undefined ? { reason } : {}) };
  await deps.ngItems.put(item);
  deps.ngList.added(itemId);
  return item;
}

/** Removes an NG item; NotFoundError when it was not on the list. */
export async function deleteNgItem(deps: NgDeps, rawItemId: string | undefined): Promise<void> {
  const itemId = parseId(rawItemId, 'itemId');
  const existed = await deps.ngItems.delete(itemId);
  deps.ngList.removed(itemId);
  if (!existed) throw new NotFoundError(`item '${itemId}' is not on the NG list`);
}

/** One page of the NG list (`limit` 1..1000, default 100; `cursor` from the previous page). */
export function listNgItems(
  deps: NgDeps,
  query: Readonly<Record<string, string | undefined>>,
): Promise<Page<NgItem>> {
  const limit = parseIntParam(query.limit, 'limit', 1, 1000, 100);
  return deps.ngItems.list(limit, query.cursor || undefined);
}
