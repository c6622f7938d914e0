import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { StoredBlob } from './blob-storage.port';

/**
 * Opens the file before its stream is handed to `put`, so a missing file fails here, and closes it whatever `put`
 * did with the stream (a put refused before reading it would otherwise leave the file open).
 */
export async function putOpened(path: string, put: (body: Readable) => Promise<StoredBlob>): Promise<StoredBlob> {
  const file = await open(path, 'r');
  const body = file.createReadStream();
  try {
    return await put(body);
  } finally {
    body.destroy();
  }
}
