import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeShop } from '../../shared/domain/data/generator.js';
import { ROOT } from '../helpers/start-process.js';

const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the osusume CLI with extra environment; resolves with exit code and streams (never rejects). */
async function osusume(args: string[], env: Record<string, string | undefined> = {}): Promise<Outcome> {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  try {
    const { stdout, stderr } = await run(process.execPath, ['shared/cli/osusume.mjs', ...args], {
      cwd: ROOT,
      env: merged as NodeJS.ProcessEnv,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The user-facing rule: non-zero exit, exactly one line on stderr, no stack trace. */
function expectOneLineError(r: Outcome): string {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(lines[0]).toMatch(/^osusume: /);
  return lines[0];
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Environment with no AWS credentials anywhere (and no instance metadata lookup). */
const NO_AWS = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_CONFIG_FILE: '/nonexistent/osusume-aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/osusume-aws-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
};

describe('CLI errors are one line that says what to do', () => {
  let dir: string;
  let shop: string;
  let taken: Server;
  let takenPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osusume-cli-errors-'));
    shop = join(dir, 'shop');
    await writeShop({ users: 60, items: 40, days: 5, seed: 2 }, shop);
    taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    takenPort = (taken.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => taken.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('start checks the HTTP port before running the pipeline', async () => {
    const r = await osusume(['start', '--port', String(takenPort)]);
    expect(expectOneLineError(r)).toContain(`port ${takenPort} is already in use`);
    expect(r.stderr).toContain('--port');
    expect(r.stdout).not.toContain('nightly scoring');
  });

  it('start checks the --db-port before starting anything', async () => {
    const r = await osusume(['start', '--port', '0', '--db-port', String(takenPort)]);
    expect(expectOneLineError(r)).toContain(`port ${takenPort} is already in use`);
    expect(r.stderr).toContain('--db-port');
  });

  it('start rejects an admin token under 16 characters before starting anything', async () => {
    const r = await osusume(['start', '--port', '0'], { OSUSUME_ADMIN_TOKEN: 'too-short' });
    expect(expectOneLineError(r)).toContain('OSUSUME_ADMIN_TOKEN: must be at least 16 characters');
    expect(r.stdout).not.toContain('embedded DynamoDB');
  });

  it('simulate names the unreachable API', async () => {
    const port = await closedPort();
    const r = await osusume([
      'simulate',
      '--data',
      shop,
      '--api',
      `http://127.0.0.1:${port}`,
      '--app-key',
      'any-key',
      '--users',
      '3',
    ]);
    expect(expectOneLineError(r)).toContain(`cannot reach http://127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('simulate --days above 1 asks for the admin token before any request', async () => {
    const port = await closedPort();
    const r = await osusume(
      ['simulate', '--data', shop, '--api', `http://127.0.0.1:${port}`, '--app-key', 'k', '--days', '3'],
      { OSUSUME_ADMIN_TOKEN: undefined },
    );
    expect(expectOneLineError(r)).toContain('--days above 1 needs the admin token');
  });

  it('ab-report names the unreachable API', async () => {
    const port = await closedPort();
    const r = await osusume(['ab-report', '--api', `http://127.0.0.1:${port}`, '--token', 'x'.repeat(16)]);
    expect(expectOneLineError(r)).toContain(`cannot reach http://127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('ab-report names the unreachable DynamoDB endpoint', async () => {
    const port = await closedPort();
    const r = await osusume(['ab-report', '--db-endpoint', `http://127.0.0.1:${port}`]);
    expect(expectOneLineError(r)).toContain('nothing listens there');
  });

  it('ab-report with neither --api nor --db-endpoint says so instead of trying AWS', async () => {
    const r = await osusume(['ab-report'], { DYNAMODB_ENDPOINT: undefined, ...NO_AWS });
    const line = expectOneLineError(r);
    expect(line).toContain('--api');
    expect(line).toContain('--db-endpoint');
    expect(line).toContain('--aws');
  });

  it('a command that needs AWS says there are no credentials', async () => {
    const r = await osusume(['pipeline', 'status', '--stage', 'dev'], NO_AWS);
    expect(expectOneLineError(r)).toContain('no AWS credentials found');
  });

  it('ab-report --aws without credentials says there are none', async () => {
    const r = await osusume(['ab-report', '--aws'], { DYNAMODB_ENDPOINT: undefined, ...NO_AWS });
    expect(expectOneLineError(r)).toContain('no AWS credentials found');
  });
});
