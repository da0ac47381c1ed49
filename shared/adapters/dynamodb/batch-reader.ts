import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyError } from '../../domain/errors.js';
import { type BatchOptions, backoffDelay, chunk, runBounded } from './batch-writer.js';
import { DYNAMODB, toDependencyError } from './call.js';

/** DynamoDB's per-request key limit for BatchGetItem. */
export const GET_BATCH_SIZE = 100;

type Item = Record<string, unknown>;

/**
 * Reads the items for `keys` from `tableName` with BatchGetItem: chunks of 100, bounded parallelism,
 * UnprocessedKeys retried with jittered backoff, DependencyError after `maxAttempts` calls on a chunk.
 * Missing keys are simply absent from the result; order is not preserved. Keys must be distinct.
 */
export async function batchGet(
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Item[],
  options: BatchOptions & { projection?: readonly string[] } = {},
): Promise<Item[]> {
  if (keys.length === 0) return [];
  const size = Math.min(options.batchSize ?? GET_BATCH_SIZE, GET_BATCH_SIZE);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 8);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const projection = options.projection?.length
    ? {
        ProjectionExpression: options.projection.map((_, i) => `#p${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(options.projection.map((name, i) => [`#p${i}`, name])),
      }
    : {};
  const perChunk = await runBounded(chunk(keys, size), options.concurrency ?? 8, async (batch) => {
    const found: Item[] = [];
    let pending: Item[] = batch;
    for (let attempt = 1; ; attempt++) {
      let unprocessed: Item[];
      try {
        const out = await doc.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ...projection } } }),
        );
        for (const item of out.Responses?.[tableName] ?? []) found.push(item);
        unprocessed = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
      } catch (err) {
        throw toDependencyError(`BatchGetItem on ${tableName}`, err);
      }
      if (unprocessed.length === 0) return found;
      if (attempt >= maxAttempts) {
        throw new DependencyError(
          DYNAMODB,
          `BatchGetItem on ${tableName} left ${unprocessed.length} unprocessed keys after ${attempt} attempts`,
        );
      }
      pending = unprocessed;
      await sleep(backoffDelay(attempt - 1, options));
    }
  });
  return perChunk.flat();
}
