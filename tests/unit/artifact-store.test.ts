import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FolderArtifactStore } from '../../shared/adapters/local/folder-artifact-store.js';
import { parseS3Uri, S3ArtifactStore } from '../../shared/adapters/s3/s3-artifact-store.js';
import { loadDatasetFromStreams } from '../../shared/domain/data/loader.js';
import { NotFoundError, ValidationError } from '../../shared/domain/errors.js';

const s3 = mockClient(S3Client);
const CSV = 'USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\nu2,i1,1700000001\n';

describe('S3ArtifactStore', () => {
  const store = new S3ArtifactStore(new S3Client({ region: 'ap-northeast-1' }), 'bucket', 'osusume');
  beforeEach(() => s3.reset());

  it('writes under its prefix', async () => {
    s3.on(PutObjectCommand).resolves({});
    await store.put('runs/v1/models/cf.bin', new Uint8Array([1, 2, 3]));
    const input = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect([input.Bucket, input.Key]).toEqual(['bucket', 'osusume/runs/v1/models/cf.bin']);
  });

  it('streams an object body into the dataset loader', async () => {
    // a Node Readable is what the SDK hands out as Body on Node
    s3.on(GetObjectCommand).resolves({ Body: Readable.from([Buffer.from(CSV)]) as never });
    const stream = await store.open('runs/v1/dataset/interactions.csv');
    const ds = await loadDatasetFromStreams({
      interactions: { name: store.uri('x'), stream: stream as Readable },
    });
    expect(ds.interactions.length).toBe(2);
  });

  it('answers undefined for a missing key and get throws NotFoundError', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'no', $metadata: { httpStatusCode: 404 } }));
    expect(await store.open('missing')).toBeUndefined();
    await expect(store.get('missing')).rejects.toThrow(NotFoundError);
  });

  it('snapshots with a server-side copy and reports a missing source as false', async () => {
    s3.on(CopyObjectCommand, { CopySource: 'src/datasets/current/interactions.csv' }).resolves({});
    s3.on(CopyObjectCommand, { CopySource: 'src/datasets/current/users.csv' }).rejects(
      Object.assign(new Error('missing'), { name: 'NoSuchKey' }),
    );
    expect(
      await store.copyFrom('s3://src/datasets/current/interactions.csv', 'runs/v/dataset/interactions.csv'),
    ).toBe(true);
    expect(await store.copyFrom('s3://src/datasets/current/users.csv', 'runs/v/dataset/users.csv')).toBe(
      false,
    );
  });

  it('rejects a source that is not an s3:// URI', () => {
    expect(() => parseS3Uri('/tmp/data')).toThrow(ValidationError);
  });
});

describe('FolderArtifactStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osusume-artifacts-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips bytes and copies a local file in', async () => {
    const store = new FolderArtifactStore(join(dir, 'store'));
    await store.put('a/b.bin', new Uint8Array([7, 8]));
    expect([...(await store.get('a/b.bin'))]).toEqual([7, 8]);
    await writeFile(join(dir, 'src.csv'), CSV);
    expect(await store.copyFrom(join(dir, 'src.csv'), 'snap/interactions.csv')).toBe(true);
    expect(await store.copyFrom(join(dir, 'nope.csv'), 'snap/users.csv')).toBe(false);
  });

  it('reads back a model of several MB byte for byte', async () => {
    const store = new FolderArtifactStore(join(dir, 'store'));
    const bytes = new Uint8Array(5 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.imul(i, 2654435761) >>> 24;
    await store.put('models/session.knn.bin', bytes);
    const back = await store.get('models/session.knn.bin');
    expect(back.byteLength).toBe(bytes.byteLength);
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
  });

  it('gives a small artifact a buffer of its own, so typed-array views of it stay aligned', async () => {
    const store = new FolderArtifactStore(join(dir, 'store'));
    await store.put('small.bin', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const back = await store.get('small.bin');
    expect(back.byteOffset).toBe(0);
    expect(back.buffer.byteLength).toBe(8);
    expect([...new Int32Array(back.buffer)]).toEqual([0x04030201, 0x08070605]);
  });

  it('reads an empty artifact as no bytes', async () => {
    const store = new FolderArtifactStore(join(dir, 'store'));
    await store.put('empty.bin', new Uint8Array(0));
    expect((await store.get('empty.bin')).byteLength).toBe(0);
  });

  it('throws NotFoundError naming the artifact when it is missing', async () => {
    const store = new FolderArtifactStore(join(dir, 'store'));
    await expect(store.get('models/none.bin')).rejects.toThrow(NotFoundError);
    await expect(store.get('models/none.bin')).rejects.toThrow(/models\/none\.bin/);
  });

  it('refuses keys that escape its folder', async () => {
    const store = new FolderArtifactStore(join(dir, 'store'));
    await expect(store.put('../outside', 'x')).rejects.toThrow(ValidationError);
  });
});
