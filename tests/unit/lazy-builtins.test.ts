import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pathToFileURL } from 'node:url';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Rule {
  name: string;
  contents: string;
}
const plugins = createRequire(import.meta.url)('../../shared/build/lazy-builtins.cjs') as Plugin[] & {
  rules: Rule[];
};

describe('lazy-builtins esbuild plugin (shared/build/lazy-builtins.cjs)', () => {
  let dir: string;
  const shim = async (name: string) => {
    const file = join(dir, `${name}.mjs`);
    await writeFile(file, plugins.rules.find((r) => r.name === name)!.contents);
    return import(pathToFileURL(file).href);
  };

  const bundle = (entry: string) =>
    build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      plugins,
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osusume-lazy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives the SDK the live process's env and versions", async () => {
    const p = await shim('process');
    expect(p.env).toBe(process.env);
    expect(p.versions).toBe(process.versions);
    expect(p.default).toBe(process);
  });

  it('recognises a real web ReadableStream, and nothing else, as middy checks a streamed body', async () => {
    const { ReadableStream } = await shim('middy-stream-web');
    expect(new WebReadableStream() instanceof ReadableStream).toBe(true);
    expect({ getReader() {} } instanceof ReadableStream).toBe(false);
  });

  it("computes the same CRC32 as zlib's, including from a running value", async () => {
    const { crc32 } = await shim('crc32-zlib');
    const data = new TextEncoder().encode('osusume event stream frame');
    expect(crc32(data, 0)).toBe(zlibCrc32(data, 0));
    expect(crc32(data.subarray(5), crc32(data.subarray(0, 5), 0))).toBe(zlibCrc32(data, 0));
  });

  it('fails the build, not a request, when a dependency imports a name the process stand-in lacks', async () => {
    const pkg = join(dir, 'node_modules/uses-stdin');
    await mkdir(pkg, { recursive: true });
    await writeFile(join(pkg, 'index.js'), "import { stdin } from 'node:process'; export const s = stdin;");
    await writeFile(join(dir, 'entry.mjs'), "import { s } from 'uses-stdin'; console.log(s);");
    await expect(bundle(join(dir, 'entry.mjs'))).rejects.toThrow(/stdin/);
  });

  it('leaves the same built-in alone when our own code imports it', async () => {
    await writeFile(join(dir, 'own.mjs'), "import { stdin } from 'node:process'; console.log(stdin);");
    const result = await bundle(join(dir, 'own.mjs'));
    expect(result.outputFiles[0].text).toMatch(/from\s*"node:process"/);
  });
});
