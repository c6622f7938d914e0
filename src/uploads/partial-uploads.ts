import { EntityManager } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Clock, CLOCK } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { retryOnDeadlock } from '../database/retry-on-deadlock';
import { cleanDisplayName } from '../photos/display-name';
import { quotaRefusal } from '../photos/quota-refusal';
import { sizeRefusal } from '../photos/size-refusal';
import { fits, StorageQuota } from '../users/storage-quota';
import { PartialUpload } from './partial-upload.entity';
import { PARTIAL_STORE } from './partial-store.provider';
import type { PartialStore } from './partial-store';

/** An unfinished upload is removed, and counts against nothing, this long after it was created. */
export const PARTIAL_UPLOAD_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** Why an upload was refused before any byte: `tooLarge` and `overQuota` are 413, `noName` is 400. */
export class UploadNotOpenedError extends Error {
  constructor(
    readonly reason: 'tooLarge' | 'overQuota' | 'noName',
    message: string,
  ) {
    super(message);
  }
}

export const NO_FILE_NAME = 'The upload has no file name: send it as "filename" in Upload-Metadata.';

/**
 * The only writer of `partial_uploads`: which resumable uploads are open, whose they are, and their declared name and
 * length. An upload is opened only when its declared length is within MAX_UPLOAD_MB and, with the lengths of the
 * owner's other open uploads, within what is left of their quota — checked with the owner's row locked, so parallel
 * openings cannot overbook it. (The binding check is still the photo intake's, when the bytes are stored.)
 */
@Injectable()
export class PartialUploads {
  private readonly logger = new Logger(PartialUploads.name);

  constructor(
    private readonly em: EntityManager,
    private readonly quota: StorageQuota,
    @Inject(PARTIAL_STORE) private readonly store: PartialStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Records a new upload and returns its id; throws UploadNotOpenedError. */
  async open(ownerId: string, declared: { filename: string; length: number }): Promise<string> {
    if (!declared.filename.trim()) throw new UploadNotOpenedError('noName', NO_FILE_NAME);
    const filename = cleanDisplayName(declared.filename);
    const { maxFileBytes } = this.config.uploads;
    if (declared.length > maxFileBytes) throw new UploadNotOpenedError('tooLarge', sizeRefusal(filename, maxFileBytes));
    const usage = await this.quota.usage(ownerId);
    const now = this.clock.now();
    const id = randomBytes(16).toString('hex');
    await retryOnDeadlock(() =>
      this.em.transactional(async (em) => {
        await this.quota.lock(em, ownerId);
        const open = await em.find(PartialUpload, { ownerId, expiresAt: { $gt: now } }, { fields: ['length'] });
        const reserved = { ...usage, usedBytes: usage.usedBytes + open.reduce((sum, upload) => sum + upload.length, 0) };
        if (!fits(reserved, declared.length)) {
          throw new UploadNotOpenedError('overQuota', quotaRefusal(filename, declared.length, reserved));
        }
        const expiresAt = new Date(now.getTime() + PARTIAL_UPLOAD_LIFETIME_MS);
        await em.insert(PartialUpload, { id, ownerId, filename, length: declared.length, createdAt: now, expiresAt });
      }),
    );
    return id;
  }

  /** The owner's open upload with this id; undefined for anyone else's, an expired one, or none. */
  async owned(ownerId: string, id: string): Promise<PartialUpload | undefined> {
    const upload = await this.em.fork().findOne(PartialUpload, { id, ownerId, expiresAt: { $gt: this.clock.now() } });
    return upload ?? undefined;
  }

  async find(id: string): Promise<PartialUpload | undefined> {
    return (await this.em.fork().findOne(PartialUpload, { id })) ?? undefined;
  }

  /** Forgets the record only: its bytes were never stored, or the tus server has removed them. */
  async forget(id: string): Promise<void> {
    await this.em.nativeDelete(PartialUpload, { id });
  }

  /** Removes the bytes, then the record. */
  async discard(id: string): Promise<void> {
    await this.store.remove(id);
    await this.forget(id);
  }

  /** Removes every upload of an account being deleted, bytes and record (what fails here, expiry removes later). */
  async discardAllOf(ownerId: string): Promise<void> {
    const uploads = await this.em.fork().find(PartialUpload, { ownerId }, { fields: ['id'] });
    for (const { id } of uploads) await this.discard(id);
  }

  /** Removes every upload older than PARTIAL_UPLOAD_LIFETIME_MS, bytes and record; returns how many. */
  async removeExpired(): Promise<number> {
    const expired = await this.em.fork().find(PartialUpload, { expiresAt: { $lte: this.clock.now() } }, { fields: ['id'] });
    for (const { id } of expired) await this.discard(id);
    if (expired.length) this.logger.log({ msg: 'Expired partial uploads removed', count: expired.length });
    return expired.length;
  }
}
