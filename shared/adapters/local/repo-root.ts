import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Whether this process runs the JavaScript built into dist/ (shared/build/build-cli.mjs) or the TypeScript sources. */
export const BUILT = !import.meta.url.endsWith('.ts');

/** The nearest folder above this module holding serverless.yml: the repository, from the sources or from dist/. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'serverless.yml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no serverless.yml above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

/** The repository root (serverless.yml, statemachines/, and ../shared/data beside it). */
export const REPO_ROOT = findRoot();

/**
 * URL of a handler module given as in serverless.yml (`functions/api/health`, relative to `root`): the built
 * dist/functions/api/health.js when this process runs built code, else the .ts source (tsx, vitest), so the
 * handlers share their modules (config, clients, caches) with the code that loads them.
 */
export function handlerModuleUrl(root: string, module: string): string {
  return pathToFileURL(BUILT ? join(root, 'dist', `${module}.js`) : join(root, `${module}.ts`)).href;
}
