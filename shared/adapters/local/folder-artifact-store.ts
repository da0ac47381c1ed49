import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { ArtifactStore } from '../../ports/artifacts.js';

/** ArtifactStore over a local folder: the local stand-in for the pipeline's S3 bucket. */
export class FolderArtifactStore implements ArtifactStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    const rel = normalize(key);
    // a key may never escape the root (keys come from state machine input)
    if (isAbsolute(rel) || rel.startsWith('..'))
      throw new ValidationError(`bad artifact key "${key}"`, 'key');
    return join(this.root, rel);
  }

  async put(key: string, bytes: Uint8Array | string): Promise<void> {
    const p = this.path(key);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, bytes);
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.path(key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError(`artifact not found: ${this.uri(key)}`);
      throw err;
    }
  }

  async open(key: string): Promise<Readable | undefined> {
    const p = this.path(key);
    if (!(await exists(p))) return undefined;
    return createReadStream(p);
  }

  async copyFrom(sourceUri: string, key: string): Promise<boolean> {
    const src = sourceUri.startsWith('file://') ? fileURLToPath(sourceUri) : sourceUri;
    if (src.startsWith('s3://'))
      throw new ValidationError(`the local artifact store cannot read ${src}`, 'data');
    if (!(await exists(src))) return false;
    const p = this.path(key);
    await mkdir(dirname(p), { recursive: true });
    await copyFile(src, p);
    return true;
  }

  uri(key: string): string {
    return this.path(key);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
