import type { Readable } from 'node:stream';

/** Injection token for the configured BlobStorage adapter. */
export const BLOB_STORAGE = Symbol('BLOB_STORAGE');

export interface StoredBlob {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

export interface BlobDownload {
  stream: Readable;
  size: number;
  contentType: string;
  etag: string;
}

export interface PutOptions {
  contentType: string;
  /** Aborts the transfer (client gone, request timed out); nothing is left under the key. */
  signal?: AbortSignal;
}

/**
 * Where photo bytes live. Keys are made by the server only (`<ownerId>/<photoId>/<name>.<ext>`); adapters still
 * refuse keys that could escape their root. Every method streams: no whole blob is ever held in memory.
 */
export interface BlobStorage {
  /** Prepares the backing store (creates the folder or the private container). Called once at start-up. */
  init(): Promise<void>;
  /**
   * Removes what writes cut short by a crash of this instance's previous run left behind. Called at its start-up
   * before it stores anything, never while it runs (`npm run cli` commands do not call it).
   */
  removeUnfinished(): Promise<void>;
  /** Stores the stream under the key, replacing nothing half-written: the blob appears whole or not at all. */
  put(key: string, body: Readable, options: PutOptions): Promise<StoredBlob>;
  /**
   * Stores the local file at `path` under the key, as `put` would, and takes the file over once stored: it is then gone
   * from `path` (moved into place where the adapter can, otherwise copied and removed). When it fails the file is left
   * where it was, for the caller to remove.
   */
  putFile(key: string, path: string, options: PutOptions): Promise<StoredBlob>;
  /** Throws BlobNotFoundError when there is no such blob. */
  get(key: string): Promise<BlobDownload>;
  /** Idempotent: deleting a missing blob is not an error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Every blob whose key starts with the prefix ('' for all). */
  list(prefix: string): AsyncIterable<StoredBlob>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No blob at ${key}`);
  }
}

/** Raised when the storage service cannot be reached or fails; the upload is refused with a clear message. */
export class StorageUnavailableError extends Error {}
