/** A built static file (the console's HTML, scripts and styles). */
export interface StaticAsset {
  readonly contentType: string;
  readonly body: Buffer;
  /** The same bytes gzip-compressed, for a client that accepts gzip. */
  readonly gzip: Buffer;
  /** Whether the name carries a content hash (then it never changes and may be cached for good). */
  readonly immutable: boolean;
}

/** The console's built files, by file name. */
export interface StaticAssetStore {
  /** The named file, or undefined when there is none (or the console was not built). */
  get(name: string): Promise<StaticAsset | undefined>;
}
