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
import { AcceptedImageType, sniffImageType } from './image-types';
import { Photo } from './photo.entity';
import { photoKeys } from './photo-keys';
import { StorageQuota, storageFullMessage } from './storage-quota.service';
import { spool, spoolDirOf, SpooledFile } from './upload-spool';
import { UploadSummary } from './upload-summary';

/** A file that was not stored, and why; the message names the file. */
class Skipped extends Error {}

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
        summary.uploaded.push(await this.accept(ownerId, name, spooled, signal));
      } catch (error) {
        if (error instanceof Skipped) summary.skipped.push(error.message);
        else if (error instanceof StorageUnavailableError) {
          summary.storageUnavailable = true;
          summary.skipped.push(`${name} was not stored: photo storage is unavailable. Please try again in a moment.`);
        } else throw error;
      } finally {
        await spooled.remove();
      }
    }
    if (files.tooMany) {
      summary.skipped.push(`Only ${this.config.uploads.maxFiles} files can be uploaded at once; the rest were not uploaded.`);
    }
    return summary;
  }

  private async accept(ownerId: string, name: string, file: SpooledFile, signal?: AbortSignal): Promise<Photo> {
    const { maxFileBytes, maxPixels } = this.config.uploads;
    if (file.truncated) throw new Skipped(`${name} is larger than ${Math.round(maxFileBytes / 1024 / 1024)} MB.`);
    if (file.size === 0) throw new Skipped(`${name} is empty.`);
    const contentType = await sniffImageType(file.head);
    if (!contentType) throw new Skipped(`${name} is not a JPEG or PNG image.`);
    if (await this.em.count(Photo, { ownerId, sha256: file.sha256 })) throw new Skipped(`${name} is already in your library.`);
    if (!(await this.quota.reserve(ownerId, file.size))) {
      throw new Skipped(`${name} was not stored. ${storageFullMessage(await this.quota.usage(ownerId))}`);
    }
    try {
      const image = await this.images.inspect(file.path, maxPixels);
      const renditions = await this.images.renditions(file.path, maxPixels);
      const photo = this.em.create(Photo, {
        ownerId,
        displayName: name,
        contentType,
        sizeBytes: file.size,
        sha256: file.sha256,
        ...image,
        uploadedAt: this.clock.now(),
        status: 'pending',
        uploader: this.config.instanceId,
      });
      return await this.store(photo, file, contentType, renditions, signal);
    } catch (error) {
      await this.quota.release(ownerId, file.size);
      if (error instanceof ImageRejectedError) throw new Skipped(`${name} ${error.message}`);
      throw error;
    }
  }

  /** Row first (pending), then the blobs, then ready; on any failure the blobs and the row are removed again. */
  private async store(
    photo: Photo,
    file: SpooledFile,
    contentType: AcceptedImageType,
    renditions: { thumbnail: Buffer; preview: Buffer },
    signal?: AbortSignal,
  ): Promise<Photo> {
    try {
      await this.em.persistAndFlush(photo);
    } catch (error) {
      this.em.clear();
      if (error instanceof UniqueConstraintViolationException) throw new Skipped(`${photo.displayName} is already in your library.`);
      throw error;
    }
    const keys = photoKeys(photo);
    try {
      await this.storage.put(keys.original, createReadStream(file.path), { contentType, signal });
      await this.storage.put(keys.thumbnail, Readable.from(renditions.thumbnail), { contentType: 'image/webp', signal });
      await this.storage.put(keys.preview, Readable.from(renditions.preview), { contentType: 'image/webp', signal });
      photo.status = 'ready';
      await this.em.flush();
      return photo;
    } catch (error) {
      await this.undo(photo, Object.values(keys));
      throw error;
    }
  }

  private async undo(photo: Photo, keys: string[]): Promise<void> {
    const results = await Promise.allSettled([
      ...keys.map((key) => this.storage.delete(key)),
      this.em.fork().nativeDelete(Photo, { id: photo.id }),
    ]);
    this.em.clear();
    if (results.some((r) => r.status === 'rejected')) {
      this.logger.warn({ msg: 'Could not fully undo a failed upload; storage:check will clean it', photoId: photo.id });
    }
  }
}
