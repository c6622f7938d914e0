import { open, rm } from 'node:fs/promises';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Everything Photosphere creates under DATA_DIR is for its own user only: the database holds password hashes and live
 * session ids, the session secret signs every cookie, and the photos are private.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes every file and folder this process creates private, whoever creates it (SQLite and its journal files,
 * libraries): called first at start-up. The app's own code passes the modes explicitly as well, so the rule also holds
 * where it runs in a process that did not call this (the tests' in-process app).
 */
export function createFilesPrivately(): void {
  process.umask(0o077);
}

/**
 * Pipes `source` (through `transforms`) into a new private file, failing if the file exists; a failed write removes the
 * file. The file is opened before a byte is piped: a write stream left to open its file itself does so asynchronously,
 * and when the source has already failed, it can create the file after the failed pipeline has cleaned up.
 */
export async function writeNewPrivateFile(path: string, source: Readable, transforms: Transform[], signal?: AbortSignal): Promise<void> {
  const file = await open(path, 'wx', PRIVATE_FILE_MODE);
  try {
    await pipeline([source, ...transforms, file.createWriteStream()], { signal });
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}
