import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { GET_BATCH_SIZE } from './batch-reader.js';
import { type BatchOptions, chunk, retryUnprocessed } from './batch-writer.js';
import { dynamoCall } from './call.js';

type Item = Record<string, unknown>;
type Key = Record<string, string>;

interface Pending {
  readonly table: string;
  readonly key: Key;
  readonly waiters: { resolve(item: Item | undefined): void; reject(err: unknown): void }[];
}

/** Keys of one round, per client: sent together once the event loop turns. */
const queues = new WeakMap<DynamoDBDocumentClient, Map<string, Pending>>();

/** Calls per batch: the first and four rounds of re-asking for UnprocessedKeys (throttled keys). */
const RETRY: BatchOptions = { maxAttempts: 5, baseDelayMs: 20 };

/** A key's identity: its table and its attribute values by attribute name (the same for the stored item). */
function slotOf(table: string, names: readonly string[], values: Readonly<Record<string, unknown>>): string {
  let slot = table;
  for (const n of names) slot += `\u0000${String(values[n])}`;
  return slot;
}

/**
 * One item by key, like a GetItem, but coalesced: every get issued on `doc` during the same turn of the
 * event loop (a request's profile and its arm's list, several requests arriving together) goes out as one
 * BatchGetItem over all their tables, so a request's independent reads cost one round trip. A lone key is
 * sent as a plain GetItem; a key asked for twice in one round is read once.
 */
export function batchedGet(doc: DynamoDBDocumentClient, table: string, key: Key): Promise<Item | undefined> {
  let queue = queues.get(doc);
  if (!queue) {
    const round = new Map<string, Pending>();
    queue = round;
    queues.set(doc, round);
    // after the microtasks of this turn, so reads started a few awaits apart still share the round
    setImmediate(() => {
      queues.delete(doc);
      void sendRound(doc, [...round.values()]);
    });
  }
  const slot = slotOf(table, Object.keys(key).sort(), key);
  let pending = queue.get(slot);
  if (!pending) {
    pending = { table, key, waiters: [] };
    queue.set(slot, pending);
  }
  const waiters = pending.waiters;
  return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
}

async function sendRound(doc: DynamoDBDocumentClient, keys: readonly Pending[]): Promise<void> {
  if (keys.length === 1) {
    const [only] = keys;
    try {
      const out = await dynamoCall('GetItem', () =>
        doc.send(new GetCommand({ TableName: only.table, Key: only.key })),
      );
      settle(only, out.Item);
    } catch (err) {
      fail(only, err);
    }
    return;
  }
  await Promise.all(chunk(keys, GET_BATCH_SIZE).map((batch) => sendBatch(doc, batch)));
}

/** One BatchGetItem of up to 100 keys; throttled keys are asked for again a few times, then failed. */
async function sendBatch(doc: DynamoDBDocumentClient, keys: Pending[]): Promise<void> {
  const names = new Map<string, string[]>();
  for (const p of keys) names.set(p.table, Object.keys(p.key).sort());
  const slotOfItem = (table: string, item: Item) => slotOf(table, names.get(table) ?? [], item);
  let open = keys;
  try {
    await retryUnprocessed(keys, 'BatchGetItem', 'keys', RETRY, async (pending) => {
      open = pending;
      // table names come from configuration, never from a request
      const requestItems: Record<string, { Keys: Key[] }> = {};
      for (const p of pending) {
        requestItems[p.table] ??= { Keys: [] };
        requestItems[p.table].Keys.push(p.key);
      }
      const out = await doc.send(new BatchGetCommand({ RequestItems: requestItems }));
      const found = new Map<string, Item>();
      for (const [table, items] of Object.entries(out.Responses ?? {}))
        for (const item of items) found.set(slotOfItem(table, item), item);
      const unprocessed = new Set<string>();
      for (const [table, entry] of Object.entries(out.UnprocessedKeys ?? {}))
        for (const key of entry.Keys ?? []) unprocessed.add(slotOfItem(table, key as Item));
      const retry: Pending[] = [];
      for (const p of pending) {
        const slot = slotOf(p.table, names.get(p.table) ?? [], p.key);
        // a key neither answered nor left unprocessed has no item
        if (unprocessed.has(slot) && !found.has(slot)) retry.push(p);
        else settle(p, found.get(slot));
      }
      open = retry;
      return retry;
    });
  } catch (err) {
    for (const p of open) fail(p, err);
  }
}

function settle(p: Pending, item: Item | undefined): void {
  for (const w of p.waiters) w.resolve(item);
}

function fail(p: Pending, err: unknown): void {
  for (const w of p.waiters) w.reject(err);
}
