/** Where the per-app keys of the app routes live: app id → key (SSM Parameter Store on AWS). */
export interface AppKeyStore {
  /** Every app's key; the caller caches the result. */
  load(): Promise<ReadonlyMap<string, string>>;
}
