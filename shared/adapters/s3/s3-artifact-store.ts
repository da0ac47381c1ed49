import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { ArtifactStore } from '../../ports/artifacts.js';

/** Splits s3://bucket/key into its parts; throws a ValidationError on anything else. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new ValidationError(`not an s3:// URI: ${uri}`, 'data');
  return { bucket: m[1], key: m[2] };
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/** ArtifactStore over one S3 bucket and key prefix (the pipeline's artifact bucket). */
export class S3ArtifactStore implements ArtifactStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix = '',
  ) {}

  private key(key: string): string {
    return this.prefix ? `${this.prefix.replace(/\/$/, '')}/${key}` : key;
  }

  async put(key: string, bytes: Uint8Array | string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: bytes }));
  }

  async get(key: string): Promise<Uint8Array> {
    const body = await this.open(key);
    if (!body) throw new NotFoundError(`artifact not found: ${this.uri(key)}`);
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(chunk as Uint8Array);
    // one copy (the concatenation), returned as a view: the session model is tens of MB
    const all = Buffer.concat(chunks);
    return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
  }

  async open(key: string): Promise<Readable | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return out.Body as Readable | undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async copyFrom(sourceUri: string, key: string): Promise<boolean> {
    const src = parseS3Uri(sourceUri);
    try {
      // server-side copy: the snapshot never passes through the Lambda's memory
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: this.key(key),
          CopySource: `${src.bucket}/${src.key.split('/').map(encodeURIComponent).join('/')}`,
        }),
      );
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async list(prefix: string, startAfter?: string): Promise<string[]> {
    const keys: string[] = [];
    const strip = this.prefix ? this.key('').length : 0;
    let token: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.key(prefix),
          StartAfter: startAfter === undefined ? undefined : this.key(startAfter),
          ContinuationToken: token,
        }),
      );
      for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key.slice(strip));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.key(key)}`;
  }
}
