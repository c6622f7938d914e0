import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { PRIVATE_DIR_MODE, writeNewPrivateFile } from '../common/private-files';
import type { AppConfig } from '../config/app-config';
import { SNIFF_BYTES } from './image-types';

export interface SpooledFile {
  path: string;
  size: number;
  sha256: string;
  /** The first bytes, for recognising the type. */
  head: Buffer;
  /** The size limit cut the file short. */
  truncated: boolean;
  remove(): Promise<void>;
}

/** This instance's own folder of temporary upload files: emptied when it starts, as nothing in it can be in use. */
export function spoolDirOf(config: Pick<AppConfig, 'dataDir' | 'instanceId'>): string {
  return join(config.dataDir, 'tmp', 'uploads', config.instanceId);
}

/**
 * Writes one incoming file to a temporary file on disk, hashing and measuring it on the way, so that it can be
 * checked and decoded without ever being held in memory and without touching storage until it is accepted.
 */
export async function spool(stream: Readable & { truncated?: boolean }, dir: string, signal?: AbortSignal): Promise<SpooledFile> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const path = join(dir, `${randomUUID()}.upload`);
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (size < SNIFF_BYTES) head.push(chunk.subarray(0, SNIFF_BYTES - size));
      size += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await writeNewPrivateFile(path, stream, [measure], signal);
  const remove = () => rm(path, { force: true });
  return { path, size, sha256: hash.digest('hex'), head: Buffer.concat(head), truncated: stream.truncated === true, remove };
}
