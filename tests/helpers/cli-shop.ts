import { execFile, type ExecFileOptions } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { type GenerateOptions, writeShop } from '../../shared/domain/data/generator.js';

const exec = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'shared', 'cli', 'osusume.mjs');

/** Runs the osusume CLI as a shop would (a child process of this node), resolving with its output. */
export function osusume(
  args: readonly string[],
  options: ExecFileOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  return exec(process.execPath, [CLI, ...args], { ...options, encoding: 'utf8' }) as Promise<{
    stdout: string;
    stderr: string;
  }>;
}

/**
 * A temporary folder with a generated shop's three CSV files in `<dir>/data`, written before the test
 * file's tests and removed after them; returns a getter for the folder.
 */
export function generatedShopDir(prefix: string, shop: GenerateOptions): () => string {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    await writeShop(shop, join(dir, 'data'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}
