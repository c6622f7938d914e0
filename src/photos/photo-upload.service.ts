import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, CLOCK } from '../common/time/clock';
import type { MultipartFiles } from '../common/http/multipart-files';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { BLOB_STORAGE, BlobStorage, StorageUnavailableError } from '../storage/blob-storage.port';
import { cleanDisplayName } from './display-name';
import { ImageProcessor, ImageRejectedError } from './image-processor';
import { AcceptedImageType, NOT_A_SUPPORTED_IMAGE, sniffImageType } from './image-types';
import { Photo } from './photo.entity';
import { photoKeys } from './photo-keys';
import { fits, StorageQuota } from '../users/storage-quota';
import { PhotoRows } from './photo-rows';
import { quotaRefusal } from './quota-refusal';
import { sizeRefusal } from './size-refusal';
import { spool, spoolDirOf, SpooledFile } from './upload-spool';
import { UploadSummary } from './upload-summary';

/** A file that was not taken in, and why: the message is a sentence for its owner that names the file. */
export class UploadRefusedError extends Error {}

/**
 * Takes uploaded files in, one at a time: spool to a temporary file (hashing and measuring), recognise the type by its
 * bytes, read the header (dimensions, pixel cap) without decoding, refuse duplicates, reserve its bytes in the owner's
 * quota with a `pending` row, store the original, and mark the row `processing` together with its job; the job makes
 * the renditions (PhotoProcessing). A file that fails anywhere here leaves no row and no blob, and gives its bytes back.
 */
@Injectable()
export class PhotoUploadService {
  private readonly logger = new Logger(PhotoUploadService.name);
  private readonly spoolDir: string;

  constructor(
    private readonly em: EntityManager,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly images: ImageProcessor,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly quota: StorageQuota,
    private readonly rows: PhotoRows,
  ) {
    this.spoolDir = spoolDirOf(config);
  }

  /** The files of one multipart request, each taken in by `acceptFile`; one summary of what went in and what did not. */
  async upload(ownerId: string, files: MultipartFiles, signal?: AbortSignal): Promise<UploadSummary> {
    const summary: UploadSummary = { uploaded: [], skipped: [], storageUnavailable: false };
    for await (const file of files) {
      const name = cleanDisplayName(file.filename);
      if (summary.storageUnavailable) {
        summary.skipped.push(`${name} was not stored: photo storage is unavailable.`);
        continue;
      }
      const spooled = await spool(file.stream, this.spoolDir, signal);
      try {
        summary.uploaded.push(await this.acceptFile(ownerId, file.filename, spooled, signal));
      } catch (error) {
        if (error instanceof UploadRefusedError) summary.skipped.push(error.message);
        else if (error instanceof StorageUnavailableError) {
          summary.storageUnavailable = true;
          summary.skipped.push(`${name} was not stored: photo storage is unavailable. Please try again in a moment.`);
        } else throw error;
      } finally {
        await spooled.remove();
      }
    }
    if (files.tooManyFiles) {
      summary.skipped.push(`Only ${this.config.uploads.maxFiles} files can be uploaded at once; the rest were not uploaded.`);
    }
    return summary;
  }

  /**
   * Takes one fully received file in and returns its `processing` photo. Storage takes the spooled file over once the
   * original is stored (it is gone then); the caller still calls its remove(), for a file refused or not stored. Throws UploadRefusedError when the file is refused, StorageUnavailableError when storage cannot be reached.
   */
  async acceptFile(ownerId: string, filename: string, file: SpooledFile, signal?: AbortSignal): Promise<Photo> {
    const name = cleanDisplayName(filename);
    const { maxFileBytes } = this.config.uploads;
    if (file.truncated) throw new UploadRefusedError(sizeRefusal(name, maxFileBytes));
    if (file.size === 0) throw new UploadRefusedError(`${name} is empty.`);
    const contentType = await sniffImageType(file.head);
    if (!contentType) throw new UploadRefusedError(`${name} ${NOT_A_SUPPORTED_IMAGE}`);
    // A failed copy does not count: the new one takes its place (PhotoRows.add).
    if (await this.em.count(Photo, { ownerId, sha256: file.sha256, status: { $ne: 'failed' } })) {
      throw new UploadRefusedError(`${name} is already in your library.`);
    }
    // Refused early when it plainly does not fit; the binding check comes with the row, below.
    const usage = await this.quota.usage(ownerId);
    if (!fits(usage, file.size)) throw new UploadRefusedError(quotaRefusal(name, file.size, usage));
    const photo = this.em.create(
      Photo,
      {
        ownerId,
        displayName: name,
        contentType,
        sizeBytes: file.size,
        sha256: file.sha256,
        ...(await this.header(name, file.path)),
        uploadedAt: this.clock.now(),
        status: 'pending',
        uploader: this.config.instanceId,
      },
      { persist: false },
    );
    await this.reserve(photo);
    return this.storeOriginal(photo, file, contentType, signal);
  }

  /** The image's dimensions from its header; a file whose header sharp cannot read, or that is too large, is refused. */
  private async header(name: string, path: string) {
    try {
      return await this.images.inspect(path, this.config.uploads.maxPixels);
    } catch (error) {
      if (error instanceof ImageRejectedError) throw new UploadRefusedError(`${name} ${error.message}`);
      throw error;
    }
  }

  /** Writes the `pending` row with its bytes counted, in one transaction: refused when they do not fit or it is a duplicate. */
  private async reserve(photo: Photo): Promise<void> {
    try {
      if (!(await this.rows.add(photo))) {
        throw new UploadRefusedError(quotaRefusal(photo.displayName, photo.sizeBytes, await this.quota.usage(photo.ownerId)));
      }
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException)
        throw new UploadRefusedError(`${photo.displayName} is already in your library.`);
      throw error;
    }
  }

  /** Stores the original, then marks the row `processing` with its job; on any failure the blob and the row go, with the bytes. */
  private async storeOriginal(photo: Photo, file: SpooledFile, contentType: AcceptedImageType, signal?: AbortSignal): Promise<Photo> {
    const { original } = photoKeys(photo);
    try {
      // The spooled file is moved into storage (renamed, on local disk): its own remove() then has nothing left to do.
      await this.storage.putFile(original, file.path, { contentType, signal });
      await this.rows.markProcessing(photo);
      return photo;
    } catch (error) {
      await this.undo(photo, original);
      throw error;
    }
  }

  private async undo(photo: Photo, key: string): Promise<void> {
    const results = await Promise.allSettled([this.storage.delete(key), this.rows.remove(photo)]);
    if (results.some((r) => r.status === 'rejected')) {
      this.logger.warn({ msg: 'Could not fully undo a failed upload; storage:check will clean it', photoId: photo.id });
    }
  }
}
