import type { AppKeyStore } from '../../ports/app-keys.js';

/** App keys given in configuration (`OSUSUME_APP_KEYS` locally: `appId=key,appId=key`). */
export class StaticAppKeyStore implements AppKeyStore {
  constructor(private readonly keys: ReadonlyMap<string, string>) {}
  async load(): Promise<ReadonlyMap<string, string>> {
    return this.keys;
  }
}
