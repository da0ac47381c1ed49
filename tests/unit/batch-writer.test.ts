import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { batchGet } from '../../shared/adapters/dynamodb/batch-reader.js';
import { backoffDelay, batchWrite, type WriteRequest } from '../../shared/adapters/dynamodb/batch-writer.js';
import { DependencyError } from '../../shared/domain/errors.js';
import { Rng } from '../../shared/domain/random.js';

// dynalite never returns UnprocessedItems, so the retry path is exercised against a mocked client.
const TABLE = 'recs';
const mock = mockClient(DynamoDBDocumentClient);
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
);
afterEach(() => mock.reset());

const puts = (n: number): WriteRequest[] =>
  Array.from({ length: n }, (_, i) => ({ PutRequest: { Item: { pk: `k${i}`, v: i } } }));
const pkOf = (r: WriteRequest) => r.PutRequest!.Item!.pk as string;

/** Records every sleep instead of waiting, so retries run instantly. */
function recordingSleep(): { sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
}

describe('batchWrite', () => {
  it('splits requests into batches of at most 25', async () => {
    mock.on(BatchWriteCommand).resolves({});
    await batchWrite(doc, TABLE, puts(60));
    const sizes = mock
      .commandCalls(BatchWriteCommand)
      .map((c) => c.args[0].input.RequestItems![TABLE].length);
    expect(sizes.sort((a, b) => b - a)).toEqual([25, 25, 10]);
  });

  it('retries unprocessed items until every item is written exactly once', async () => {
    const rng = new Rng(7);
    const written: string[] = [];
    mock.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => {
      const batch = input.RequestItems[TABLE];
      // Throttle a random subset of each call, as DynamoDB does under partition pressure.
      const unprocessed = batch.filter(() => rng.next() < 0.4);
      for (const r of batch) if (!unprocessed.includes(r)) written.push(pkOf(r));
      return { UnprocessedItems: unprocessed.length ? { [TABLE]: unprocessed } : {} };
    });
    const requests = puts(100);
    const { sleep, sleeps } = recordingSleep();
    await batchWrite(doc, TABLE, requests, { sleep, maxAttempts: 20 });
    expect(written.sort()).toEqual(requests.map(pkOf).sort());
    expect(sleeps.length).toBe(mock.commandCalls(BatchWriteCommand).length - 4);
  });

  it('throws DependencyError after maxAttempts calls still leave items unprocessed', async () => {
    mock.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => ({
      UnprocessedItems: { [TABLE]: input.RequestItems[TABLE].slice(0, 1) },
    }));
    const { sleep } = recordingSleep();
    const error = await batchWrite(doc, TABLE, puts(3), { sleep, maxAttempts: 4 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(mock.commandCalls(BatchWriteCommand)).toHaveLength(4);
  });

  it('turns an SDK failure into DependencyError', async () => {
    mock
      .on(BatchWriteCommand)
      .rejects(Object.assign(new Error('rate exceeded'), { name: 'ThrottlingException' }));
    const error = await batchWrite(doc, TABLE, puts(5)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toContain('ThrottlingException');
  });

  it('keeps at most `concurrency` batches in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    mock.on(BatchWriteCommand).callsFake(async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return {};
    });
    await batchWrite(doc, TABLE, puts(25 * 20), { concurrency: 3 });
    expect(mock.commandCalls(BatchWriteCommand)).toHaveLength(20);
    expect(peak).toBe(3);
  });

  it('sends nothing for an empty request list', async () => {
    await batchWrite(doc, TABLE, []);
    expect(mock.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, scaled by jitter', () => {
    const opts = { baseDelayMs: 10, maxDelayMs: 100, random: () => 0.999 };
    const delays = [0, 1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, opts));
    expect(delays).toEqual([9, 19, 39, 79, 99, 99]);
  });

  it('can pick any delay down to zero (full jitter)', () => {
    expect(backoffDelay(3, { baseDelayMs: 10, random: () => 0 })).toBe(0);
  });
});

describe('batchGet', () => {
  it('retries unprocessed keys and returns every found item', async () => {
    let call = 0;
    mock
      .on(BatchGetCommand)
      .callsFake((input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => {
        const keys = input.RequestItems[TABLE].Keys;
        // First call: answer half, leave the rest unprocessed; later calls answer everything.
        const cut = call++ === 0 ? Math.ceil(keys.length / 2) : keys.length;
        return {
          Responses: { [TABLE]: keys.slice(0, cut).map((k) => ({ ...k, found: true })) },
          UnprocessedKeys: cut < keys.length ? { [TABLE]: { Keys: keys.slice(cut) } } : {},
        };
      });
    const keys = Array.from({ length: 150 }, (_, i) => ({ pk: `k${i}` }));
    const { sleep } = recordingSleep();
    const items = await batchGet(doc, TABLE, keys, { sleep, concurrency: 1 });
    expect(items.map((i) => i.pk).sort()).toEqual(keys.map((k) => k.pk).sort());
    expect(mock.commandCalls(BatchGetCommand)).toHaveLength(3);
  });
});
