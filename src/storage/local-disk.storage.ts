import { randomUUID } from 'node:crypto';
import { Stats } from 'node:fs';
import { mkdir, open, opendir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writeNewPrivateFile } from '../common/private-files';
import { BlobDownload, BlobNotFoundError, BlobStorage, PutOptions, StoredBlob } from './blob-storage.port';
import { putOpened } from './put-opened';
import { assertSafeKey, assertSafePrefix } from './storage-key';

const INCOMING = '.incoming';
const PRIVATE_DIRS = { recursive: true, mode: PRIVATE_DIR_MODE } as const;

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

/**
 * Keeps blobs as files under one root folder (one instance's: local disk is for one machine); writes go to `.incoming`
 * first and are renamed into place whole. Folders and files are private to the app's user.
 */
export class LocalDiskStorage implements BlobStorage {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async init(): Promise<void> {
    await mkdir(join(this.root, INCOMING), PRIVATE_DIRS);
  }

  /** The temp files of writes that a crash (kill -9, power cut) interrupted: never to be renamed into place. */
  async removeUnfinished(): Promise<void> {
    await rm(join(this.root, INCOMING), { recursive: true, force: true });
    await mkdir(join(this.root, INCOMING), PRIVATE_DIRS);
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredBlob> {
    const target = this.pathOf(key);
    const temp = join(this.root, INCOMING, randomUUID());
    try {
      await mkdir(dirname(temp), PRIVATE_DIRS);
      await writeNewPrivateFile(temp, body, [], options.signal);
      const stats = await flushToDisk(temp);
      options.signal?.throwIfAborted();
      await this.moveIntoPlace(temp, target);
      return { key, ...describe(stats) };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /**
   * Renames the file into place when it is on the storage's filesystem (no byte is copied), after making it private and
   * fsyncing it as `put` does; from another filesystem (EXDEV) it is copied with `put` and then removed.
   */
  async putFile(key: string, path: string, options: PutOptions): Promise<StoredBlob> {
    const target = this.pathOf(key);
    options.signal?.throwIfAborted();
    try {
      const stats = await flushToDisk(path, PRIVATE_FILE_MODE);
      options.signal?.throwIfAborted();
      await this.moveIntoPlace(path, target);
      return { key, ...describe(stats) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    }
    const stored = await putOpened(path, (body) => this.put(key, body, options));
    await rm(path, { force: true });
    return stored;
  }

  async get(key: string): Promise<BlobDownload> {
    const path = this.pathOf(key);
    const file = await open(path, 'r').catch((error) => rethrowMissing(error, key));
    try {
      const stats = await file.stat();
      if (!stats.isFile()) throw new BlobNotFoundError(key);
      return { stream: file.createReadStream(), size: stats.size, etag: etagOf(stats), contentType: contentTypeOf(key) };
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return;
      throw error;
    }
    await this.removeEmptyParents(dirname(path));
  }

  async exists(key: string): Promise<boolean> {
    const stats = await stat(this.pathOf(key)).catch((error) => (isMissing(error) ? undefined : Promise.reject(error)));
    return stats?.isFile() ?? false;
  }

  async *list(prefix: string): AsyncIterable<StoredBlob> {
    assertSafePrefix(prefix);
    // Only the folder holding the prefix's last segment can contain matches.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    for await (const key of this.walk(folder)) {
      if (!key.startsWith(prefix)) continue;
      const stats = await stat(join(this.root, ...key.split('/'))).catch((error) => (isMissing(error) ? undefined : Promise.reject(error)));
      if (stats?.isFile()) yield { key, ...describe(stats) };
    }
  }

  /** Keys of every file under the folder (relative to the root, '' for the root), depth first in name order. */
  private async *walk(folder: string): AsyncGenerator<string> {
    let entries;
    try {
      const dir = await opendir(folder ? join(this.root, ...folder.split('/')) : this.root);
      entries = [];
      for await (const entry of dir) entries.push(entry);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue; // `.incoming` and anything else that can never be a key
      const key = folder ? `${folder}/${entry.name}` : entry.name;
      if (entry.isDirectory()) yield* this.walk(key);
      else if (entry.isFile()) yield key;
    }
  }

  private async moveIntoPlace(temp: string, target: string): Promise<void> {
    // A concurrent delete may remove the freshly made (still empty) folder before the rename; make it again then.
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(target), PRIVATE_DIRS);
      try {
        return await rename(temp, target);
      } catch (error) {
        if (!isMissing(error) || attempt >= 3) throw error;
      }
    }
  }

  private async removeEmptyParents(folder: string): Promise<void> {
    while (folder !== this.root && folder.startsWith(this.root + sep)) {
      try {
        await rmdir(folder);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
      folder = dirname(folder);
    }
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    const path = resolve(this.root, ...key.split('/'));
    if (!path.startsWith(this.root + sep)) throw new Error(`Blob key ${JSON.stringify(key)} resolves outside the storage root`);
    return path;
  }
}

/**
 * fsyncs the file so a power cut cannot leave a renamed but empty blob, and returns its final stats; with `mode`, first
 * gives the file that mode (a file handed over by `putFile` becomes as private as one `put` writes).
 */
async function flushToDisk(path: string, mode?: number): Promise<Stats> {
  const file = await open(path, 'r');
  try {
    if (mode !== undefined) await file.chmod(mode);
    await file.sync();
    return await file.stat();
  } finally {
    await file.close();
  }
}

function describe(stats: Stats): Omit<StoredBlob, 'key'> {
  return { size: stats.size, etag: etagOf(stats), lastModified: stats.mtime };
}

function etagOf(stats: Stats): string {
  return `"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
}

function contentTypeOf(key: string): string {
  return CONTENT_TYPES[extname(key).toLowerCase()] ?? 'application/octet-stream';
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function rethrowMissing(error: unknown, key: string): never {
  throw isMissing(error) ? new BlobNotFoundError(key) : error;
}
