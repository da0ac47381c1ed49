import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoEventStore } from '../../shared/adapters/dynamodb/event-store.js';
import { DynamoNgItemStore } from '../../shared/adapters/dynamodb/ng-item-store.js';
import { encodeCursor } from '../../shared/adapters/validation.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { DEFAULT_EXPERIMENTS } from '../../shared/domain/experiments/experiments.js';
import { type HttpEvent, type HttpResult, httpHandler, json } from '../../shared/http/http-handler.js';
import { abReport } from '../../shared/use-cases/events.js';
import { useDynalite } from '../helpers/dynalite.js';

const dynamo = useDynalite('http-errors');

const event = { headers: {}, requestContext: { http: { method: 'GET', path: '/' } } } as unknown as HttpEvent;
const context = { functionName: 'test', awsRequestId: 'r1', getRemainingTimeInMillis: () => 1000 } as Context;

/**
 * Runs a handler through the real middleware stack and returns its answer, the Powertools log lines it
 * wrote (JSON with a level) and every other line (EMF metric blobs, Metrics' plain-text warnings).
 */
async function invoke(
  fn: () => Promise<HttpResult>,
): Promise<{ result: HttpResult; logs: Record<string, unknown>[]; other: string[] }> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  // Powertools writes ERROR lines to stderr, the rest to stdout
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    const result = (await httpHandler(fn)(event, context)) as HttpResult;
    const all = lines.flatMap((l) => l.split('\n')).filter((l) => l.trim() !== '');
    const isLog = (l: string) => l.startsWith('{') && 'level' in JSON.parse(l);
    return { result, logs: all.filter(isLog).map((l) => JSON.parse(l)), other: all.filter((l) => !isLog(l)) };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('error middleware', () => {
  it('answers a DynamoDB failure with 503 naming only the dependency, and logs the SDK error', async () => {
    const store = new DynamoNgItemStore(dynamo.doc(), { tableName: 'osusume-missing-table' });
    const { result, logs } = await invoke(async () => json(200, await store.list(10)));
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body ?? '')).toEqual({
      code: 'DependencyError',
      message: 'dynamodb is unavailable; retry later',
    });
    expect(logs.map((l) => [l.level, (l.error as { message: string }).message])).toEqual([
      ['ERROR', 'dynamodb: Scan failed: ResourceNotFoundException: Requested resource not found'],
    ]);
  });

  it('logs the reason of a 4xx under reason, without a WARN about a reserved key', async () => {
    const { result, logs } = await invoke(async () => {
      throw new ValidationError('limit must be an integer', 'limit');
    });
    expect(result.statusCode).toBe(400);
    expect(logs.map((l) => [l.level, l.reason, l.parameter])).toEqual([
      ['INFO', 'limit must be an integer', 'limit'],
    ]);
  });

  it('counts a 4xx as a rejected metric instead of warning that there are no metrics', async () => {
    const { other } = await invoke(async () => {
      throw new ValidationError('limit must be an integer', 'limit');
    });
    expect(other.filter((l) => l.includes('No application metrics'))).toEqual([]);
    expect(other.map((l) => Object.keys(JSON.parse(l)))).toEqual([
      expect.arrayContaining(['_aws', 'rejected']),
    ]);
  });
});

describe('bounded admin input', () => {
  it('rejects an NG cursor holding a 3,000-character id with 400 before calling DynamoDB', async () => {
    const store = new DynamoNgItemStore(dynamo.doc(), { tableName: await dynamo.freshTable('ngItems') });
    await expect(store.list(10, encodeCursor({ itemId: 'x'.repeat(3000) }))).rejects.toMatchObject({
      status: 400,
      parameter: 'cursor',
    });
  });

  it.each([
    ['1000000000d', 'since', '1000000000d'],
    ['a 400-digit duration', 'since', `${'1'.repeat(400)}d`],
    ['a 400-digit number', 'since', '1'.repeat(400)],
    ['a date before 1970', 'since', '1969-12-31'],
    ['a date after 9999', 'until', '+275760-09-13T00:00:00Z'],
  ])('rejects a report window with %s with 400 naming %s', async (_, parameter, value) => {
    const store = new DynamoEventStore(dynamo.doc(), {
      tableName: await dynamo.freshTable('events'),
      ttlDays: 90,
    });
    const deps = { events: store, experiments: DEFAULT_EXPERIMENTS, windowMs: 86_400_000 };
    await expect(abReport(deps, { [parameter]: value })).rejects.toMatchObject({ status: 400, parameter });
  });

  it('accepts a report over the last 36500 days', async () => {
    const store = new DynamoEventStore(dynamo.doc(), {
      tableName: await dynamo.freshTable('events'),
      ttlDays: 90,
    });
    const deps = { events: store, experiments: DEFAULT_EXPERIMENTS, windowMs: 86_400_000 };
    const now = Date.UTC(2026, 10, 28);
    expect((await abReport(deps, { since: '20000d' }, now)).since).toBe(
      new Date(now - 20000 * 86_400_000).toISOString(),
    );
  });
});
