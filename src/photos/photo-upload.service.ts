import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
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

/** A file that was not stored, and why: the message is a sentence for people that names the file. */
export class UploadRefusedError extends Error {}

/**
 * Takes the files of one upload, one at a time: spool to a temporary file (hashing and measuring), recognise the
 * type by its bytes, refuse duplicates, reserve its bytes in the owner's quota, check and decode the image, then
 * write a `pending` row, the original, a thumbnail and a preview, and mark the row `ready`. A file that fails
 * anywhere leaves no row and no blob, and gives its reserved bytes back.
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
        summary.uploaded.push(await this.acceptFile(ownerId, name, spooled, signal));
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
   * One spooled file into the owner's library, for the multipart form and for finished resumable uploads alike;
   * throws UploadRefusedError when the file is not stored, and StorageUnavailableError when storage is down.
   */
  async acceptFile(ownerId: string, name: string, file: SpooledFile, signal?: AbortSignal): Promise<Photo> {
    const { maxFileBytes } = this.config.uploads;
    if (file.truncated) throw new UploadRefusedError(sizeRefusal(name, maxFileBytes));
    if (file.size === 0) throw new UploadRefusedError(`${name} is empty.`);
    const contentType = await sniffImageType(file.head);
    if (!contentType) throw new UploadRefusedError(`${name} ${NOT_A_SUPPORTED_IMAGE}`);
    if (await this.em.count(Photo, { ownerId, sha256: file.sha256 })) throw new UploadRefusedError(`${name} is already in your library.`);
    // Refused before the costly decode when it plainly does not fit; the binding check comes with the row, below.
    const usage = await this.quota.usage(ownerId);
    if (!fits(usage, file.size)) throw new UploadRefusedError(quotaRefusal(name, file.size, usage));
    const { image, renditions } = await this.decode(name, file.path);
    const photo = this.em.create(
      Photo,
      {
        ownerId,
        displayName: name,
        contentType,
        sizeBytes: file.size,
        sha256: file.sha256,
        ...image,
        uploadedAt: this.clock.now(),
        status: 'pending',
        uploader: this.config.instanceId,
      },
      { persist: false },
    );
    return this.store(photo, file, contentType, renditions, signal);
  }

  /** The image's dimensions and capture date, and its thumbnail and preview; a file sharp cannot read is skipped. */
  private async decode(name: string, path: string) {
    const { maxPixels } = this.config.uploads;
    try {
      return { image: await this.images.inspect(path, maxPixels), renditions: await this.images.renditions(path, maxPixels) };
    } catch (error) {
      if (error instanceof ImageRejectedError) throw new UploadRefusedError(`${name} ${error.message}`);
      throw error;
    }
  }

  /**
   * Row first (pending, its bytes counted in the same transaction), then the blobs, then ready; on any failure the blobs
   * and the row are removed again and the bytes given back.
   */
  private async store(
    photo: Photo,
    file: SpooledFile,
    contentType: AcceptedImageType,
    renditions: { thumbnail: Buffer; preview: Buffer },
    signal?: AbortSignal,
  ): Promise<Photo> {
    try {
      if (!(await this.rows.add(photo))) {
        throw new UploadRefusedError(quotaRefusal(photo.displayName, photo.sizeBytes, await this.quota.usage(photo.ownerId)));
      }
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException)
        throw new UploadRefusedError(`${photo.displayName} is already in your library.`);
      throw error;
    }
    const keys = photoKeys(photo);
    try {
      await this.storage.put(keys.original, createReadStream(file.path), { contentType, signal });
      await this.storage.put(keys.thumbnail, Readable.from(renditions.thumbnail), { contentType: 'image/webp', signal });
      await this.storage.put(keys.preview, Readable.from(renditions.preview), { contentType: 'image/webp', signal });
      await this.rows.markReady(photo);
      return photo;
    } catch (error) {
      await this.undo(photo, Object.values(keys));
      throw error;
    }
  }

  private async undo(photo: Photo, keys: string[]): Promise<void> {
    const results = await Promise.allSettled([...keys.map((key) => this.storage.delete(key)), this.rows.remove(photo)]);
    if (results.some((r) => r.status === 'rejected')) {
      this.logger.warn({ msg: 'Could not fully undo a failed upload; storage:check will clean it', photoId: photo.id });
    }
  }
}
