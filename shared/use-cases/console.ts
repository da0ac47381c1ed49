import { NotFoundError } from '../domain/errors.js';
import type { StaticAsset, StaticAssetStore } from '../ports/static-assets.js';

/**
 * The console file for a path under /console: the page itself for `/console` (every page is a hash route of
 * one document), else the named built file. NotFoundError when there is none, naming a missing build.
 */
export async function consoleAsset(store: StaticAssetStore, file: string | undefined): Promise<StaticAsset> {
  const asset = await store.get(file ?? 'index.html');
  if (asset) return asset;
  if (file === undefined)
    throw new NotFoundError('the console is not built: run `npm run build` (npm ci builds it)');
  throw new NotFoundError(`no console file ${file}`);
}
