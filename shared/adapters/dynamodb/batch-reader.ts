import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type BatchOptions, chunk, retryUnprocessed, runBounded } from './batch-writer.js';

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
  const projection = options.projection?.length
    ? {
        ProjectionExpression: options.projection.map((_, i) => `#p${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(options.projection.map((name, i) => [`#p${i}`, name])),
      }
    : {};
  const perChunk = await runBounded(chunk(keys, size), options.concurrency ?? 8, async (batch) => {
    const found: Item[] = [];
    await retryUnprocessed(batch, `BatchGetItem on ${tableName}`, 'keys', options, async (pending) => {
      const out = await doc.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ...projection } } }),
      );
      for (const item of out.Responses?.[tableName] ?? []) found.push(item);
      return out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    });
    return found;
  });
  return perChunk.flat();
}
