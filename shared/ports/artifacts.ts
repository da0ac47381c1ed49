import type { Readable } from 'node:stream';

/**
 * Bytes by key for the pipeline: dataset snapshots, trained models, shard plans. S3 on AWS, a folder
 * locally. Keys are '/'-separated relative paths (e.g. `runs/<version>/models/cf.bin`).
 */
export interface ArtifactStore {
  put(key: string, bytes: Uint8Array | string): Promise<void>;
  /** The object's bytes; throws NotFoundError naming the key when it does not exist. */
  get(key: string): Promise<Uint8Array>;
  /** A byte stream of the object, or undefined when it does not exist (S3 GetObject bodies feed the loader). */
  open(key: string): Promise<Readable | undefined>;
  /**
   * Copies the object at `sourceUri` (s3://bucket/key, or a local path / file:// URL for the folder
   * adapter) to `key`. Returns false when the source does not exist.
   */
  copyFrom(sourceUri: string, key: string): Promise<boolean>;
  /**
   * Keys under `prefix`, in lexicographic order, optionally only those after `startAfter` (S3's
   * ListObjectsV2 order: day partitions like `events/dt=YYYY-MM-DD/` come out oldest first).
   */
  list(prefix: string, startAfter?: string): Promise<string[]>;
  /** Where `key` lives, as a URI for logs and outputs. */
  uri(key: string): string;
}
