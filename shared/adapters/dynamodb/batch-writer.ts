import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { DependencyError } from '../../domain/errors.js';
import { DYNAMODB, toDependencyError } from './call.js';

/** One put or delete of a BatchWriteItem request, in document-client (native JS) form. */
export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/** DynamoDB's per-request limit for BatchWriteItem. */
export const WRITE_BATCH_SIZE = 25;

/** Retry and parallelism knobs shared by batched writes and reads. */
export interface BatchOptions {
  /** Requests per table call (≤ the DynamoDB limit). */
  readonly batchSize?: number;
  /** Batches in flight at once. Default 8: enough to hide latency without tripping on-demand throttles. */
  readonly concurrency?: number;
  /** Calls per batch including the first, before giving up on unprocessed entries. Default 8. */
  readonly maxAttempts?: number;
  /** Backoff base and cap in ms (full jitter: delay = random * min(cap, base * 2^retry)). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const DEFAULTS = { concurrency: 8, maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 2000 };

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Full-jitter exponential backoff delay before retry number `retry` (0-based): jitter spreads
 * parallel writers apart so they do not hammer the same partition in lockstep.
 */
export function backoffDelay(retry: number, options: BatchOptions = {}): number {
  const base = options.baseDelayMs ?? DEFAULTS.baseDelayMs;
  const cap = options.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const random = options.random ?? Math.random;
  return Math.floor(random() * Math.min(cap, base * 2 ** retry));
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `task` over every element with at most `concurrency` in flight; the first failure stops new
 * tasks from starting and is rethrown once the in-flight ones settle.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker);
  await Promise.all(workers);
  if (failure) throw failure.error;
  return results;
}

/**
 * Sends one batch with `call` (which returns the entries DynamoDB left unprocessed) and resends those
 * with jittered exponential backoff until none are left. A failing call becomes a DependencyError
 * naming `what`; so do entries still unprocessed after `maxAttempts` calls (`noun` names them).
 */
export async function retryUnprocessed<T>(
  batch: T[],
  what: string,
  noun: string,
  options: BatchOptions,
  call: (pending: T[]) => Promise<T[]>,
): Promise<void> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULTS.maxAttempts);
  const sleep = options.sleep ?? realSleep;
  let pending = batch;
  for (let attempt = 1; ; attempt++) {
    let unprocessed: T[];
    try {
      unprocessed = await call(pending);
    } catch (err) {
      throw toDependencyError(what, err);
    }
    if (unprocessed.length === 0) return;
    if (attempt >= maxAttempts) {
      throw new DependencyError(
        DYNAMODB,
        `${what} left ${unprocessed.length} unprocessed ${noun} after ${attempt} attempts`,
      );
    }
    pending = unprocessed;
    await sleep(backoffDelay(attempt - 1, options));
  }
}

/**
 * Writes `requests` to `tableName` with BatchWriteItem: chunks of 25, up to `concurrency` chunks in
 * flight, UnprocessedItems retried with jittered exponential backoff; after `maxAttempts` calls on a
 * chunk still leave items unprocessed, throws DependencyError. Callers must not repeat a key within
 * one call (DynamoDB rejects duplicate keys in a batch).
 */
export async function batchWrite(
  doc: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
  options: BatchOptions = {},
): Promise<void> {
  await writeBatches(tableName, requests, options, async (batch) => {
    const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: batch } }));
    return out.UnprocessedItems?.[tableName] ?? [];
  });
}

/**
 * {@link batchWrite}'s chunking, parallelism and retries around any BatchWriteItem `send` (which returns
 * the requests left unprocessed): for requests in the low-level client's attribute-value form too.
 */
export async function writeBatches<T>(
  tableName: string,
  requests: readonly T[],
  options: BatchOptions,
  send: (batch: T[]) => Promise<T[]>,
): Promise<void> {
  if (requests.length === 0) return;
  const size = Math.min(options.batchSize ?? WRITE_BATCH_SIZE, WRITE_BATCH_SIZE);
  await runBounded(chunk(requests, size), options.concurrency ?? DEFAULTS.concurrency, (batch) =>
    retryUnprocessed(batch, `BatchWriteItem on ${tableName}`, 'items', options, send),
  );
}
