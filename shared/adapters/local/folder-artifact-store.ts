import { createReadStream } from 'node:fs';
import { copyFile, type FileHandle, mkdir, open, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { ArtifactStore } from '../../ports/artifacts.js';

let writes = 0;

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
    // write then rename, as S3 does: a reader listing the folder never sees half an object
    const tmp = `${p}.${process.pid}.${++writes}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, p);
  }

  async list(prefix: string, startAfter?: string): Promise<string[]> {
    // only the folder the prefix names is walked, not the whole store
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    let entries: string[];
    try {
      entries = (await readdir(this.path(base || '.'), { recursive: true })).map((e) => base + e);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const keys: string[] = [];
    for (const e of entries) {
      const key = e.split(sep).join('/');
      if (!key.startsWith(prefix) || key.endsWith('.tmp')) continue;
      if (startAfter !== undefined && key <= startAfter) continue;
      if (await exists(join(this.root, e))) keys.push(key);
    }
    return keys.sort();
  }

  async get(key: string): Promise<Uint8Array> {
    let file: FileHandle | undefined;
    try {
      file = await open(this.path(key), 'r');
      // one read into a buffer of the file's size: readFile reads in 512 KiB chunks, one thread-pool round
      // trip each, and the request function reads models of tens of MB at init (a view, not a copy)
      const { size } = await file.stat();
      const bytes = Buffer.allocUnsafeSlow(size); // never a slice of the shared pool: callers keep views of it
      let read = 0;
      while (read < size) {
        const { bytesRead } = await file.read(bytes, read, size - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return new Uint8Array(bytes.buffer, bytes.byteOffset, read);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError(`artifact not found: ${this.uri(key)}`);
      throw err;
    } finally {
      await file?.close();
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
