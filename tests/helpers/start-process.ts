import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Started {
  readonly url: string;
  /** The app key the app routes take as `x-api-key` (first of OSUSUME_APP_KEYS). */
  readonly appKey: string;
  /** `fetch` of a path on the server with the app key sent. */
  readonly appFetch: (path: string, init?: RequestInit) => Promise<Response>;
  readonly output: () => string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

const CLI = 'shared/cli/osusume.mjs';

/** The app key `startOsusume` gives the server unless OSUSUME_APP_KEYS says otherwise. */
export const TEST_APP_KEY = 'test-app-key-0123456789';

/**
 * The Node flags of package.json's `start` script (`node <flags> shared/cli/osusume.mjs start`), so that
 * tests and benches run the server exactly as `npm start` does.
 */
function startScriptNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const words = pkg.scripts.start.trim().split(/\s+/);
  const cli = words.indexOf(CLI);
  if (words[0] !== 'node' || cli < 0 || words[cli + 1] !== 'start')
    throw new Error(`package.json start script is not "node [flags] ${CLI} start": ${pkg.scripts.start}`);
  return words.slice(1, cli);
}

/** Runs `osusume start` as `npm start` runs it (same Node flags), as a child process, and waits for "listening on URL". */
export async function startOsusume(
  args: string[] = [],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  /** Node flags added to the start script's (a bench's `--cpu-prof`). */
  extraNodeFlags: readonly string[] = [],
): Promise<Started> {
  const appKeys = env.OSUSUME_APP_KEYS ?? process.env.OSUSUME_APP_KEYS ?? `test=${TEST_APP_KEY}`;
  const appKey = appKeys.split(',')[0].split('=').slice(1).join('=');
  const child = spawn(
    process.execPath,
    [...startScriptNodeFlags(), ...extraNodeFlags, CLI, 'start', '--port', '0', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, OSUSUME_APP_KEYS: appKeys, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // Keep everything up to the startup banner (and a little after it), then a bounded tail only: with
  // POWERTOOLS_LOG_LEVEL=INFO the server logs every request, and a long run (the request-path bench sends
  // ~10k requests) must neither grow this string without end nor rescan it on every chunk.
  const AFTER_LISTENING = 16 * 1024;
  const TAIL = 64 * 1024;
  let head = '';
  let tail = '';
  let headLimit = Number.POSITIVE_INFINITY;
  const append = (d: Buffer | string) => {
    const s = String(d);
    if (head.length < headLimit) head += s;
    else tail = (tail + s).slice(-TAIL);
  };
  const out = () => (tail ? `${head}\n...\n${tail}` : head);
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`osusume start did not listen within ${timeoutMs} ms:\n${out()}`)),
      timeoutMs,
    );
    let scanned = 0;
    const check = () => {
      // only the new part (plus an overlap for a line split across chunks) is searched
      const from = Math.max(0, scanned - 256);
      scanned = head.length;
      const m = /listening on (http:\/\/\S+)/.exec(head.slice(from));
      if (m) {
        clearTimeout(timer);
        headLimit = head.length + AFTER_LISTENING;
        child.stdout?.off('data', check);
        res(m[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`osusume start exited with ${code}:\n${out()}`));
    });
  });
  return {
    url,
    appKey,
    appFetch: (path, init = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), 'x-api-key': appKey },
      }),
    child,
    output: out,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}
