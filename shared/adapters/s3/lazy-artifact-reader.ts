import type { ArtifactStore } from '../../ports/artifacts.js';

/**
 * Reads artifacts (the published session model) through a lazily imported store: the S3 client is
 * loaded on the first read, so the request function's cold init does not pay for it before it needs it
 * (and never when no session model is served). S3 (ARTIFACT_BUCKET) on AWS, a folder (ARTIFACT_DIR) locally.
 */
export class LazyArtifactReader implements Pick<ArtifactStore, 'get'> {
  private store?: Promise<Pick<ArtifactStore, 'get'>>;
  constructor(private readonly where: { bucket?: string; dir?: string; region: string }) {}

  async get(key: string): Promise<Uint8Array> {
    this.store ??= this.open();
    return (await this.store).get(key);
  }

  private async open(): Promise<Pick<ArtifactStore, 'get'>> {
    const { bucket, dir, region } = this.where;
    if (bucket) {
      const [{ S3Client }, { S3ArtifactStore }] = await Promise.all([
        import('@aws-sdk/client-s3'),
        import('./s3-artifact-store.js'),
      ]);
      return new S3ArtifactStore(new S3Client({ region }), bucket);
    }
    const { FolderArtifactStore } = await import('../local/folder-artifact-store.js');
    return new FolderArtifactStore(dir ?? '.');
  }
}
