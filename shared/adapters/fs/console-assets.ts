import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { StaticAsset, StaticAssetStore } from '../../ports/static-assets.js';

/** Where the console's build lands, relative to the repository (or the Lambda package) root. */
export const CONSOLE_DIST = 'console/dist';

const TYPES = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
  ['.json', 'application/json; charset=utf-8'],
]);

/**
 * The built console folder: the first `console/dist` above this module (sources, `dist/` build and the Lambda
 * package each keep it at their root), or `LAMBDA_TASK_ROOT`'s.
 */
export function findConsoleDist(start = dirname(fileURLToPath(import.meta.url))): string | undefined {
  const roots = [process.env.LAMBDA_TASK_ROOT];
  for (let d = start; ; d = dirname(d)) {
    roots.push(d);
    if (dirname(d) === d) break;
  }
  for (const r of roots)
    if (r && existsSync(join(r, CONSOLE_DIST, 'index.html'))) return join(r, CONSOLE_DIST);
  return undefined;
}

/** Reads the console's files from its build folder once each and keeps them (and their gzip) in memory. */
export class FileConsoleAssets implements StaticAssetStore {
  private readonly cache = new Map<string, Promise<StaticAsset | undefined>>();
  constructor(private readonly dir: string | undefined) {}

  get(name: string): Promise<StaticAsset | undefined> {
    // one flat folder (Vite's assetsDir is ''): a name with a slash, backslash or leading dot is never a file
    if (!this.dir || !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) return Promise.resolve(undefined);
    const ext = name.slice(name.lastIndexOf('.'));
    const contentType = TYPES.get(ext);
    if (!contentType) return Promise.resolve(undefined);
    let asset = this.cache.get(name);
    if (!asset) {
      const path = join(this.dir, name);
      asset = readFile(path).then(
        (body) => ({
          contentType,
          body,
          gzip: gzipSync(body),
          immutable: /-[A-Za-z0-9_-]{8,}\.(js|css)$/.test(name),
        }),
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return undefined;
          throw err;
        },
      );
      this.cache.set(name, asset);
    }
    return asset;
  }
}
