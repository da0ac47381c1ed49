import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTHORIZER_CACHE_ENTRIES, readGateway } from '../../shared/adapters/local/gateway.js';
import type { RouteDecl } from '../../shared/adapters/local/routes.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/**
 * A repository root with a serverless.yml declaring one request authorizer, and its handler: a key that
 * starts with `good` is allowed; every call is counted on globalThis under the root's own name.
 */
function shop(ttl?: number | string): { root: string; calls: () => number } {
  const root = mkdtempSync(join(tmpdir(), 'osusume-gateway-'));
  roots.push(root);
  const counter = `gatewayCalls_${root.replace(/\W/g, '_')}`;
  mkdirSync(join(root, 'functions'), { recursive: true });
  writeFileSync(
    join(root, 'functions', 'auth.ts'),
    `export const handler = async (event: { identitySource: string[] }) => {
  const g = globalThis as unknown as Record<string, number>;
  g['${counter}'] = (g['${counter}'] ?? 0) + 1;
  const key = event.identitySource[0];
  return { isAuthorized: key.startsWith('good'), context: { appId: key } };
};
`,
  );
  writeFileSync(
    join(root, 'serverless.yml'),
    `service: gateway-test
provider:
  name: aws
  httpApi:
    authorizers:
      appKey:
        type: request
        functionName: auth
        identitySource: $request.header.x-api-key
${ttl === undefined ? '' : `        resultTtlInSeconds: ${ttl}\n`}functions:
  auth:
    handler: functions/auth.handler
`,
  );
  return {
    root,
    calls: () => (globalThis as unknown as Record<string, number>)[counter] ?? 0,
  };
}

const route: RouteDecl = {
  functionName: 'f',
  method: 'GET',
  path: '/x',
  module: 'functions/f',
  exportName: 'handler',
  authorizer: { name: 'appKey' },
};
const request = (key: string) =>
  ({
    routeKey: 'GET /x',
    rawPath: '/x',
    rawQueryString: '',
    headers: { 'x-api-key': key },
    requestContext: {},
  }) as unknown as APIGatewayProxyEventV2;

describe('the local gateway', () => {
  it('reuses an authorizer result per key for resultTtlInSeconds, as API Gateway caches it', async () => {
    const { root, calls } = shop(300);
    let now = 1_000_000;
    const gateway = await readGateway(root, 'local', () => now);
    expect(await gateway.authorize(route, request('good-a'))).toEqual({
      ok: true,
      context: { appId: 'good-a' },
    });
    expect(await gateway.authorize(route, request('good-a'))).toEqual({
      ok: true,
      context: { appId: 'good-a' },
    });
    expect(calls()).toBe(1);
    await gateway.authorize(route, request('good-b'));
    expect(calls()).toBe(2);
    now += 300_000;
    expect((await gateway.authorize(route, request('good-a'))).ok).toBe(true);
    expect(calls()).toBe(3);
  });

  it('caches a denied key as well', async () => {
    const { root, calls } = shop(300);
    const gateway = await readGateway(root, 'local');
    for (let i = 0; i < 3; i++)
      expect(await gateway.authorize(route, request('bad-key'))).toMatchObject({ ok: false, status: 403 });
    expect(calls()).toBe(1);
  });

  it('runs the authorizer on every request without resultTtlInSeconds', async () => {
    const { root, calls } = shop();
    const gateway = await readGateway(root, 'local');
    for (let i = 0; i < 3; i++) expect((await gateway.authorize(route, request('good-a'))).ok).toBe(true);
    expect(calls()).toBe(3);
  });

  it('keeps at most AUTHORIZER_CACHE_ENTRIES keys, so a flood of keys cannot grow it', async () => {
    const { root, calls } = shop(300);
    const gateway = await readGateway(root, 'local');
    await gateway.authorize(route, request('good-first'));
    for (let i = 0; i < AUTHORIZER_CACHE_ENTRIES; i++) await gateway.authorize(route, request(`bad-${i}`));
    const before = calls();
    // the eldest key was evicted: its next request runs the authorizer again
    await gateway.authorize(route, request('good-first'));
    expect(calls()).toBe(before + 1);
  });

  it('rejects a resultTtlInSeconds outside 0..3600, naming the authorizer', async () => {
    const { root } = shop(-5);
    await expect(readGateway(root, 'local')).rejects.toThrow(/authorizer appKey: resultTtlInSeconds/);
  });
});
