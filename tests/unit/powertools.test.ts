import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeDynamoClients } from '../../shared/adapters/dynamodb/clients.js';
import { defaultTableNames, LOGICAL_TABLES } from '../../shared/adapters/dynamodb/tables.js';
import {
  createTables,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/adapters/local/dynalite-server.js';
import { TABLE_ENV } from '../../shared/config/config.js';
import type { HttpEvent, HttpResult } from '../../shared/http/http-handler.js';
import { logger, metrics } from '../../shared/observability/powertools.js';

// /health reads DynamoDB: it gets the embedded one, with the configuration the handler reads at import
let dynamo: LocalDynamo;
let health: (event: HttpEvent, context: Context) => Promise<HttpResult>;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
  const names = defaultTableNames('powertools');
  const { client } = makeDynamoClients(dynamo.endpoint);
  await createTables(client, names);
  process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
  for (const t of LOGICAL_TABLES) process.env[TABLE_ENV[t]] = names[t];
  ({ handler: health } = (await import('../../functions/api/health.js')) as never);
});
afterAll(async () => {
  await dynamo?.stop();
});

const event = {
  version: '2.0',
  routeKey: 'GET /health',
  rawPath: '/health',
  rawQueryString: '',
  headers: {},
  isBase64Encoded: false,
  requestContext: { http: { method: 'GET', path: '/health' }, requestId: 'r1' },
} as unknown as HttpEvent;
const context = { functionName: 'health', awsRequestId: 'r1' } as unknown as Context;

/** Everything written to stdout and stderr while `fn` runs. */
async function output(fn: () => Promise<unknown>): Promise<string> {
  let text = '';
  const capture = (chunk: unknown) => {
    text += String(chunk);
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await fn();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return text;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Powertools metrics diagnostics', () => {
  it('does not warn on every request of a route that records no metrics', async () => {
    const text = await output(async () => {
      for (let i = 0; i < 3; i++)
        expect(((await health(event, context)) as { statusCode: number }).statusCode).toBe(200);
    });
    expect(text).not.toContain('No application metrics to publish');
  });

  it('still sends the other metrics diagnostics to the structured logger', () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    metrics.addDimension('', 'x'); // an empty dimension name is refused with a warning
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("doesn't meet the requirements"));
  });
});
