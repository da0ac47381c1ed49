import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseAuth } from '../../shared/cli/commands/ab-report.js';
import { isAdmin, requireAdmin } from '../../shared/http/admin-auth.js';
import type { HttpEvent } from '../../shared/http/http-handler.js';
import { startSigV4Server } from '../helpers/sigv4-server.js';
import { ROOT } from '../helpers/start-process.js';

const run = promisify(execFile);
const REGION = 'ap-northeast-1';
const CREDENTIALS = { accessKeyId: 'AKIDOSUSUMETEST', secretAccessKey: 'osusume-test-secret-0123456789' };
const REPORT = {
  since: '2026-01-01T00:00:00.000Z',
  until: '2026-01-08T00:00:00.000Z',
  windowHours: 24,
  attribution: { direct: 0, window: 0, none: 0 },
  slots: [],
};

describe('osusume ab-report --api against an IAM (SigV4) endpoint', () => {
  let server: Awaited<ReturnType<typeof startSigV4Server>>;
  let home: string;

  beforeAll(async () => {
    server = await startSigV4Server({ region: REGION, credentials: CREDENTIALS, body: REPORT });
    home = await mkdtemp(join(tmpdir(), 'osusume-sigv4-'));
  });
  afterAll(async () => {
    await server?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  /** The CLI with only the given AWS credentials (no shared config, no admin token). */
  const cli = (secret: string, ...args: string[]) =>
    run(process.execPath, ['shared/cli/osusume.mjs', 'ab-report', '--format', 'json', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: secret,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });

  it('signs GET /reports/ab with SigV4 that the SDK signer verifies, query included', async () => {
    const { stdout } = await cli(
      CREDENTIALS.secretAccessKey,
      '--api',
      server.url,
      '--auth',
      'sigv4',
      '--region',
      REGION,
      '--since',
      '3d',
      '--slot',
      'home page',
    );
    expect(JSON.parse(stdout)).toEqual(REPORT);
    const last = server.seen.at(-1);
    expect(last).toMatchObject({ path: '/reports/ab', verified: true });
    expect(new URLSearchParams(last?.query).get('slot')).toBe('home page');
  });

  it('fails with a one-line 403 message when the signature does not verify (wrong secret)', async () => {
    const err = await cli(
      'not-the-secret-0123456789',
      '--api',
      server.url,
      '--auth',
      'sigv4',
      '--region',
      REGION,
    ).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).not.toBe(0);
    expect(err?.stderr).toContain('answered 403');
    expect(err?.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.seen.at(-1)).toMatchObject({ verified: false, reason: 'signature mismatch' });
  });
});

describe('ab-report: Bearer or SigV4', () => {
  it('signs with SigV4 for an API Gateway endpoint, in the region of its host', () => {
    expect(
      chooseAuth(
        'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
        { auth: 'auto', token: 'tok' },
        {},
      ),
    ).toEqual({ kind: 'sigv4', region: 'eu-west-1' });
  });

  it('sends the Bearer token to any other URL (osusume start)', () => {
    expect(
      chooseAuth(
        'http://127.0.0.1:3000',
        { auth: 'auto' },
        { OSUSUME_ADMIN_TOKEN: 'local-admin-token-0123' },
      ),
    ).toEqual({ kind: 'bearer', token: 'local-admin-token-0123' });
  });

  it('signs a custom domain with --auth sigv4 and asks for a region when none is known', () => {
    expect(chooseAuth('https://api.shop.example', { auth: 'sigv4', region: 'us-east-1' }, {})).toEqual({
      kind: 'sigv4',
      region: 'us-east-1',
    });
    expect(() => chooseAuth('https://api.shop.example', { auth: 'sigv4' }, {})).toThrow(/--region/);
  });

  it('rejects an --auth mode it does not know and an --api that is not a URL, naming the option', () => {
    expect(() => chooseAuth('http://127.0.0.1:3000', { auth: 'basic' }, {})).toThrow(/--auth/);
    expect(() => chooseAuth('127.0.0.1:3000', { auth: 'auto' }, {})).toThrow(/--api/);
  });
});

describe('admin callers: IAM on AWS, the bearer token locally', () => {
  const event = (requestContext: Record<string, unknown>, headers: Record<string, string> = {}) =>
    ({ headers, requestContext }) as unknown as HttpEvent;
  const iamContext = {
    authorizer: { iam: { userArn: 'arn:aws:iam::123456789012:user/qa', accountId: '123456789012' } },
  };

  it('takes an IAM-authorised caller as admin when API Gateway put the IAM identity in the request context', () => {
    expect(isAdmin(event(iamContext), 'iam', undefined)).toBe(true);
  });

  it('refuses in IAM mode a request without an IAM identity, even with a bearer token or an app-key context', () => {
    const token = 'local-admin-token-0123';
    expect(isAdmin(event({}, { authorization: `Bearer ${token}` }), 'iam', token)).toBe(false);
    expect(isAdmin(event({ authorizer: { lambda: { appId: 'web' } } }), 'iam', token)).toBe(false);
    expect(() => requireAdmin(event({}), 'iam', undefined)).toThrow(/bearer token|Unauthorized|missing/);
  });
});
